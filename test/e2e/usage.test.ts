/**
 * Tokens of every model call, per page and per task (failed calls and retried tasks included), and
 * their cost from MODEL_PRICES, in every view.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

interface Usage { model: string | null; prompt_tokens: number; completion_tokens: number; total_tokens: number; estimated: boolean; cost: number | null; currency: string | null; reused_prompt_tokens: number; reused_completion_tokens: number }
interface Page { page_number: number; status: string; prompt_tokens: number | null; completion_tokens: number | null; tokens_estimated: boolean }
interface Task { id: string; status: string; usage: Usage; page_results: Page[] }

let stack: Stack;
before(async () => {
  stack = await startStack({
    env: { PDF_DPI: '72', BATCH_SIZE: '2', MODEL_PRICES: JSON.stringify({ 'stub-model': { input: 2.5, output: 10 }, 'gpt-4o': { input: 5, output: 15 } }), PRICE_CURRENCY: 'EUR' },
  });
});
after(() => stack?.stop());

async function runPdf(tags: number[]): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), 'tokens.pdf');
  assert.equal(status, 200, JSON.stringify(body));
  const taskId = String(body.task_id);
  await waitForTask(stack, taskId);
  return taskId;
}

/** The stub answers usage {prompt_tokens: 1000, completion_tokens: <length of its answer>}. */
const completionTokens = (tags: number[]) => tags.reduce((sum, tag) => sum + stubMarkdown(tag).length, 0);

test('a task shows its tokens and their cost in details, list, result and export; each page its own', async () => {
  const tags = pageTags(3, 51);
  const taskId = await runPdf(tags);
  const completion = completionTokens(tags);
  const expected: Usage = {
    model: 'stub-model', prompt_tokens: 3000, completion_tokens: completion, total_tokens: 3000 + completion, estimated: false,
    cost: (3000 * 2.5 + completion * 10) / 1e6, currency: 'EUR', reused_prompt_tokens: 0, reused_completion_tokens: 0,
  };

  const details = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}`)).body.data;
  assert.equal(details.status, 'completed');
  assert.deepEqual(details.usage, expected);
  assert.deepEqual(details.page_results.map((p) => [p.page_number, p.prompt_tokens, p.completion_tokens, p.tokens_estimated]),
    tags.map((t, i) => [i + 1, 1000, stubMarkdown(t).length, false]));

  const list = (await getJson<{ data: Task[] }>(`${stack.api}/api/tasks?limit=10`)).body.data;
  assert.deepEqual(list.find((t) => t.id === taskId)?.usage, expected);
  const result = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}/result`)).body.data;
  assert.deepEqual(result.usage, expected);
  assert.deepEqual(result.page_results.map((p) => p.prompt_tokens), [1000, 1000, 1000]);
  const exported = (await getJson<{ task_info: Task }>(`${stack.api}/api/tasks/${taskId}/export?format=json`)).body;
  assert.deepEqual(exported.task_info.usage, expected);

  // The totals and the model live on the task's row, summed over models by a plain query.
  const { rows: byModel } = await stack.pool.query<{ model: string | null; prompt_tokens: number }>(
    'select model, sum(prompt_tokens)::int as prompt_tokens from tasks group by model');
  assert.ok(byModel.some((m) => m.model === 'stub-model' && m.prompt_tokens >= 3000), JSON.stringify(byModel));
});

test('a page that failed before the model wrote anything has no tokens and adds none to its task', async () => {
  const tags = pageTags(3, 61);
  const failing = { kind: 'status', status: 502, message: 'bad gateway' } as const;
  stack.stub.script([failing, failing, failing], 62);
  const taskId = await runPdf(tags);
  const details = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}`)).body.data;
  assert.equal(details.status, 'partial');
  const failed = details.page_results.find((p) => p.page_number === 2)!;
  assert.deepEqual([failed.status, failed.prompt_tokens, failed.completion_tokens], ['failed', null, null]);
  assert.deepEqual([details.usage.prompt_tokens, details.usage.completion_tokens], [2000, completionTokens([61, 63])]);
});

test('a task whose model has no price shows its tokens without a cost', async () => {
  const taskId = await runPdf([71]);
  // As if MODEL had been a model missing from MODEL_PRICES when the task ran.
  await stack.pool.query(`update tasks set model = 'unpriced-model' where id = $1`, [taskId]);
  const { usage } = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}`)).body.data;
  assert.deepEqual(usage, { model: 'unpriced-model', prompt_tokens: 1000, completion_tokens: stubMarkdown(71).length, total_tokens: 1000 + stubMarkdown(71).length, estimated: false, cost: null, currency: null, reused_prompt_tokens: 0, reused_completion_tokens: 0 });
});

test('a page that failed on bad answers keeps the tokens of its calls, and retrying its task adds the new calls to them', async () => {
  const tags = pageTags(2, 81);
  // Each cut-off reply reports usage: 1000 prompt tokens and the 20 characters it wrote.
  stack.stub.script([{ kind: 'length' }, { kind: 'length' }, { kind: 'length' }], 82);
  const taskId = await runPdf(tags);
  const first = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}`)).body.data;
  assert.equal(first.status, 'partial');
  const failed = first.page_results.find((p) => p.page_number === 2)!;
  assert.deepEqual([failed.status, failed.prompt_tokens, failed.completion_tokens, failed.tokens_estimated], ['failed', 3000, 60, false]);
  const good = stubMarkdown(81).length;
  assert.deepEqual([first.usage.prompt_tokens, first.usage.completion_tokens], [4000, good + 60]);
  assert.equal(first.usage.cost, (4000 * 2.5 + (good + 60) * 10) / 1e6, 'the failed calls are billed, so they cost');

  const retried = await fetch(`${stack.api}/api/tasks/${taskId}/retry`, { method: 'POST' });
  assert.equal(retried.status, 202);
  const second = await eventually(async () => {
    const { body } = await getJson<{ data: Task }>(`${stack.api}/api/tasks/${taskId}`);
    return body.data.status === 'completed' ? body.data : undefined;
  }, 'the retried task to complete');
  const page = second.page_results.find((p) => p.page_number === 2)!;
  assert.deepEqual([page.prompt_tokens, page.completion_tokens], [1000, stubMarkdown(82).length], 'the page shows its own run\'s calls');
  assert.deepEqual([second.usage.prompt_tokens, second.usage.completion_tokens], [5000, good + 60 + stubMarkdown(82).length],
    'the task keeps the tokens of the page the retry forgot');
});
