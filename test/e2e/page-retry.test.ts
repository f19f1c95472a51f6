/** POST /api/tasks/{id}/pages/{n}/retry: one page read again, whatever its result; the task follows. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack, type TaskData } from '../helpers/stack.js';
import { connectWs, ofType, wsUrl } from '../helpers/ws-client.js';

let stack: Stack;
before(async () => {
  // CACHE is on (the default): a page retry must still call the model.
  stack = await startStack({ env: { MAX_RETRIES: '2' } });
});
after(() => stack?.stop());

interface PageData { page_number: number; status: string; content: string | null; error_message: string | null }
interface ResultData { status: string; content: string; page_results: PageData[]; usage: { prompt_tokens: number; completion_tokens: number } }

async function submitPdf(tags: number[], fileName: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return body.task_id as string;
}

const retryPage = (id: string, n: number | string) => fetch(`${stack.api}/api/tasks/${id}/pages/${n}/retry`, { method: 'POST' });
const result = async (id: string) => (await getJson<{ data: ResultData }>(`${stack.api}/api/tasks/${id}/result`)).body.data;
const failTwice = [{ kind: 'status', status: 502 }, { kind: 'status', status: 502 }] as const;

/** Waits for the run the retry started to record its outcome (the task goes pending, then final again). */
async function waitForRetry(id: string): Promise<TaskData> {
  return waitForTask(stack, id);
}

test('a failed page retried on its own: only it is read again, and the task is completed with every count right', async () => {
  stack.stub.script([...failTwice], 1002);
  const id = await submitPdf([1001, 1002, 1003], 'three.pdf');
  const first = await waitForTask(stack, id);
  assert.equal(first.status, 'partial');
  const before = await result(id);
  const calls = [1001, 1002, 1003].map((t) => stack.stub.callsFor(t).length);

  const client = await connectWs(wsUrl(stack.api));
  client.send({ type: 'subscribe', task_id: id });
  await client.waitFor(ofType('task_subscribed', id), 'task_subscribed');
  const res = await retryPage(id, 2);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { status: 'success', task_id: id, page_number: 2, message: '正在重新识别第 2 页 (page 2 is being read again)' });
  const page = await client.waitFor((m) => ofType('page_completed', id)(m) && (m.data as { page_number: number }).page_number === 2, 'page 2 again');
  assert.equal((page.data as { status: string }).status, 'completed');
  await client.waitFor(ofType('task_completed', id), 'task_completed');
  await client.close();

  const task = await waitForRetry(id);
  assert.equal(task.status, 'completed');
  assert.deepEqual([task.processed_pages, task.failed_pages], [3, 0]);
  const after = await result(id);
  assert.equal(after.content, [1001, 1002, 1003].map(stubMarkdown).join('\n\n'));
  assert.deepEqual([1001, 1002, 1003].map((t) => stack.stub.callsFor(t).length), [calls[0], calls[1]! + 1, calls[2]]);
  // The failed attempts were billed: their tokens stay in the usage.
  assert.ok(after.usage.prompt_tokens > before.usage.prompt_tokens);
});

test('a completed page retried: the model reads it again (not the cache), its new answer replaces the old; a failure is recorded as one', async () => {
  const id = await submitPdf([1011, 1012], 'two.pdf');
  assert.equal((await waitForTask(stack, id)).status, 'completed');
  // The same file again: CACHE would copy its pages; a page retry must not.
  const twin = await submitPdf([1011, 1012], 'twin.pdf');
  await waitForTask(stack, twin);
  const callsBefore = stack.stub.callsFor(1011).length;

  stack.stub.script([{ kind: 'ok', content: '# Page 1011, read again' }], 1011);
  assert.equal((await retryPage(twin, 1)).status, 202);
  const again = await waitForRetry(twin);
  assert.equal(again.status, 'completed');
  assert.equal(stack.stub.callsFor(1011).length, callsBefore + 1);
  const pages = (await result(twin)).page_results;
  assert.equal(pages.find((p) => p.page_number === 1)!.content, '# Page 1011, read again');
  assert.equal(pages.find((p) => p.page_number === 2)!.content, stubMarkdown(1012));
  // The other task's page is its own.
  assert.equal((await result(id)).page_results[0]!.content, stubMarkdown(1011));

  stack.stub.script([...failTwice], 1012);
  assert.equal((await retryPage(twin, 2)).status, 202);
  const failed = await waitForRetry(twin);
  assert.equal(failed.status, 'partial');
  assert.deepEqual([failed.processed_pages, failed.failed_pages], [1, 1]);
  const page2 = (await result(twin)).page_results.find((p) => p.page_number === 2)!;
  assert.equal(page2.status, 'failed');
  assert.equal(page2.content, null);
  assert.match(page2.error_message ?? '', /502/);
});

test('refusals: a bad page number, a page past the end, an unknown task, a task still running, a second retry at once', async () => {
  stack.stub.script([{ kind: 'ok', delayMs: 2500 }], 1021);
  const id = await submitPdf([1021, 1022], 'slow.pdf');
  const running = await retryPage(id, 1);
  assert.equal(running.status, 409);
  assert.equal(((await running.json()) as { code: string }).code, 'task_not_finished');
  await waitForTask(stack, id);

  for (const [n, status, code] of [[0, 400, 'invalid_page_number'], ['two', 400, 'invalid_page_number'], [3, 404, 'page_out_of_range']] as const) {
    const res = await retryPage(id, n);
    assert.equal(res.status, status, String(n));
    assert.equal(((await res.json()) as { code: string }).code, code);
  }
  const unknown = await retryPage('00000000-0000-4000-8000-000000000000', 1);
  assert.equal(unknown.status, 404);

  // Two at once: one starts a run, the other is refused; no page is lost.
  stack.stub.script([{ kind: 'ok', delayMs: 1500 }], 1021);
  const answers = await Promise.all([retryPage(id, 1), retryPage(id, 2)]);
  const statuses = answers.map((r) => r.status).sort();
  assert.equal(statuses[0], 202, statuses.join());
  assert.ok([409, 503].includes(statuses[1]!), statuses.join());
  const task = await waitForRetry(id);
  assert.equal(task.status, 'completed');
  assert.deepEqual([task.processed_pages, task.failed_pages], [2, 0]);
});
