/**
 * What the model answers is checked before it is stored: a refusal is never content (retried, then a
 * failed page of class `refused`), and chatter around a transcription is removed and named in the
 * page's warnings, over HTTP, in the JSON export and on the WebSocket. A blank PDF page costs no call.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { connectWs, ofType, wsUrl } from '../helpers/ws-client.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { MAX_RETRIES: '3' } });
});
after(() => stack?.stop());

interface Page {
  page_number: number; status: string; error_class: string | null; warnings: string[]; content?: string | null;
  prompt_tokens: number | null; completion_tokens: number | null;
}
interface Usage { prompt_tokens: number; completion_tokens: number }

/** The stub reports 1000 prompt tokens a call and a completion token per character it wrote. */
const tokensOf = (replies: string[]) => [1000 * replies.length, replies.reduce((sum, r) => sum + r.length, 0)];

test('a refusal at every attempt fails the page as refused, and nothing of it is stored', async () => {
  const tag = 301;
  const refusal = "I'm sorry, but I can't assist with that.";
  stack.stub.script(Array.from({ length: 3 }, () => ({ kind: 'ok' as const, content: refusal })), tag);
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), 'refused.png');
  const task = await waitForTask(stack, String(body.task_id));
  assert.equal(task.status, 'failed');
  assert.equal(task.error_code, 'refused');
  assert.match(String(task.error_message), /refused to transcribe/);
  const pages = task.page_results as Page[];
  assert.deepEqual(pages.map((p) => [p.status, p.error_class, p.warnings]), [['failed', 'refused', []]]);
  assert.equal(stack.stub.callsFor(tag).length, 3, 'asked again until the attempts ran out');
  const billed = tokensOf([refusal, refusal, refusal]);
  assert.deepEqual([pages[0]!.prompt_tokens, pages[0]!.completion_tokens], billed, 'the refused calls were billed: the page counts them');
  const usage = task.usage as Usage;
  assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], billed, 'and so does the task');
  const { rows } = await stack.pool.query<{ content: string | null }>('select content from pages where task_id = $1', [task.id]);
  assert.deepEqual(rows, [{ content: null }]);
});

test('a refusal once, then a transcription: the page is completed with the transcription', async () => {
  const tag = 302;
  const refusal = '抱歉，我无法协助处理这个请求。';
  stack.stub.script([{ kind: 'ok', content: refusal }], tag);
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), 'once.png');
  const task = await waitForTask(stack, String(body.task_id));
  assert.equal(task.status, 'completed');
  const { body: result } = await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${task.id}/result`);
  assert.equal(result.data.content, stubMarkdown(tag));
  assert.deepEqual(stack.stub.callsFor(tag).map((c) => c.temperature), [0, 0.2], 'asked again at once, at a higher temperature');
  assert.deepEqual((task.page_results as Page[]).map((p) => [p.warnings, [p.prompt_tokens, p.completion_tokens]]),
    [[['retried_after_refusal'], tokensOf([refusal, stubMarkdown(tag)])]]);
});

test('a preamble, a closing offer and \\( \\) math are cleaned, and the warnings say so everywhere', async () => {
  const [chatty, plain] = [303, 304];
  const reply = 'Sure! Here is the transcription of the page:\n\n# Page\n\nMass \\(m\\) and energy.\n\nLet me know if you need anything else!';
  stack.stub.script([{ kind: 'ok', delayMs: 500, content: reply }], chatty);
  stack.stub.script([{ kind: 'ok', delayMs: 500 }], plain);
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf([chatty, plain]), 'chatty.pdf');
  const taskId = String(body.task_id);
  const client = await connectWs(wsUrl(stack.api));
  try {
    client.send({ type: 'subscribe_task', task_id: taskId });
    const task = await waitForTask(stack, taskId);
    assert.equal(task.status, 'completed');
    const expected = ['preamble_removed', 'offer_removed', 'math_delimiters_rewritten'];
    assert.deepEqual((task.page_results as Page[]).map((p) => p.warnings), [expected, []]);
    assert.deepEqual((task.page_results as Page[]).map((p) => [p.prompt_tokens, p.completion_tokens]),
      [tokensOf([reply]), tokensOf([stubMarkdown(plain)])], 'the whole reply was billed, chatter included');

    const { body: result } = await getJson<{ data: { content: string; page_results: Page[] } }>(`${stack.api}/api/tasks/${taskId}/result`);
    assert.equal(result.data.page_results[0]?.content, '# Page\n\nMass $m$ and energy.');
    assert.equal(result.data.content, `# Page\n\nMass $m$ and energy.\n\n${stubMarkdown(plain)}`);

    const exported = (await (await fetch(`${stack.api}/api/tasks/${taskId}/export?format=json`)).json()) as { task_info: { page_results: Page[] } };
    assert.deepEqual(exported.task_info.page_results.map((p) => p.warnings), [expected, []]);

    const first = await client.waitFor((m) => ofType('page_completed', taskId)(m) && (m.data as Page).page_number === 1, 'page 1 completed');
    assert.deepEqual((first.data as Page).warnings, expected);
  } finally {
    await client.close();
  }
});

test('a blank PDF page is completed as empty without a model call, with the warning blank_page', async () => {
  const tag = 305;
  // Tag 0 draws no bar: the page is white.
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf([0, tag]), 'blank-first.pdf');
  const task = await waitForTask(stack, String(body.task_id));
  assert.equal(task.status, 'completed');
  assert.deepEqual((task.page_results as Array<Page & { attempts: number }>).map((p) => [p.status, p.attempts, p.warnings, p.prompt_tokens]),
    [['completed', 0, ['blank_page'], null], ['completed', 1, [], 1000]]);
  assert.equal(stack.stub.callsFor(0).length, 0, 'the blank page never reached the model');
  const { body: result } = await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${task.id}/result`);
  assert.equal(result.data.content, stubMarkdown(tag));
});
