/** Cancel, retry and delete, counted at the model stub. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { CONCURRENCY: '2', BATCH_SIZE: '2', PDF_DPI: '72', MAX_RETRIES: '2' } });
});
after(() => stack?.stop());

const post = (path: string) => fetch(`${stack.api}${path}`, { method: 'POST' });
const callsFor = (tags: number[]) => stack.stub.calls.filter((c) => tags.includes(c.tag)).length;

async function submitPdf(tags: number[]): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), 'doc.pdf');
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

test('cancelling a running PDF stops its model calls and keeps the pages already done', async () => {
  const tags = pageTags(20, 100);
  stack.stub.latencyMs = 1000;
  const id = await submitPdf(tags);
  await eventually(() => Promise.resolve(callsFor(tags) >= 3 ? true : undefined), 'the PDF to be under way');

  const res = await post(`/api/tasks/${id}/cancel`);
  assert.equal(res.status, 202);
  const task = await waitForTask(stack, id, 30_000);
  stack.stub.latencyMs = 0;
  assert.equal(task.status, 'cancelled');
  assert.equal(task.error_message, '用户取消');
  assert.ok(Number(task.progress) < 100, `a cancelled task shows how far it got (${String(task.progress)} %)`);
  const callsAtCancel = callsFor(tags);
  assert.ok(callsAtCancel < tags.length, `only ${callsAtCancel} of ${tags.length} pages were sent`);
  // Proving that nothing more happens needs a window of time: a few heartbeat intervals.
  await sleep(3000);
  assert.equal(callsFor(tags), callsAtCancel, 'no model call after the task reads cancelled');
  const { rows } = await stack.pool.query<{ n: number }>(`select count(*)::int as n from pages where task_id = $1 and status = 'completed'`, [id]);
  assert.ok(rows[0]!.n >= 1 && rows[0]!.n <= callsAtCancel, `${rows[0]!.n} finished pages kept`);

  const again = await post(`/api/tasks/${id}/cancel`);
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, 'task_not_running');
});

test('retrying a partial task re-runs only its failed pages', async () => {
  const tags = pageTags(4, 200);
  const failing: StubAction = { kind: 'status', status: 500 };
  stack.stub.script([failing, failing], 203);
  const id = await submitPdf(tags);
  assert.equal((await waitForTask(stack, id)).status, 'partial');
  assert.equal(stack.stub.callsFor(203).length, 2);

  const res = await post(`/api/tasks/${id}/retry`);
  assert.equal(res.status, 202);
  assert.equal(((await res.json()) as { retried_pages: number }).retried_pages, 1);
  const task = await eventually(async () => {
    const { body } = await getJson<{ data: { status: string; failed_pages: number } }>(`${stack.api}/api/tasks/${id}`);
    return body.data.status === 'completed' ? body.data : undefined;
  }, 'the retried task to complete');
  assert.equal(task.failed_pages, 0);
  for (const tag of tags) assert.equal(stack.stub.callsFor(tag).length, tag === 203 ? 3 : 1, `calls for tag ${tag}`);
  const { body } = await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${id}/result`);
  assert.equal(body.data.content, tags.map(stubMarkdown).join('\n\n'));

  const again = await post(`/api/tasks/${id}/retry`);
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, 'task_not_retryable');
});

test('deleting a task removes it, its pages, and its file once no other task uses the file', async () => {
  const image = await taggedImage(300);
  const first = await postFile(`${stack.api}/api/async/image`, image, 'same.png');
  const second = await postFile(`${stack.api}/api/async/image`, image, 'same-again.png');
  const [a, b] = [String(first.body.task_id), String(second.body.task_id)];
  await waitForTask(stack, a);
  await waitForTask(stack, b);
  const files = async () => (await stack.pool.query<{ n: number }>('select count(*)::int as n from files f join tasks t on t.file_sha256 = f.sha256 where t.id = any($1::uuid[])', [[a, b]])).rows[0]!.n;
  const sha = (await stack.pool.query<{ file_sha256: string }>('select file_sha256 from tasks where id = $1', [a])).rows[0]!.file_sha256;

  const res = await fetch(`${stack.api}/api/tasks/${a}`, { method: 'DELETE' });
  assert.equal(res.status, 200);
  assert.equal((await getJson(`${stack.api}/api/tasks/${a}`)).status, 404);
  assert.equal((await stack.pool.query('select 1 from pages where task_id = $1', [a])).rowCount, 0);
  assert.equal(await files(), 1, 'the file stays while the other task uses it');

  await fetch(`${stack.api}/api/tasks/${b}`, { method: 'DELETE' });
  assert.equal((await stack.pool.query('select 1 from files where sha256 = $1', [sha])).rowCount, 0, 'then it goes');
  assert.equal((await stack.pool.query('select 1 from file_chunks where sha256 = $1', [sha])).rowCount, 0);
});

test('control routes on an unknown task are 404', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const [method, path] of [['POST', 'cancel'], ['POST', 'retry']] as const) {
    const res = await fetch(`${stack.api}/api/tasks/${unknown}/${path}`, { method });
    assert.equal(res.status, 404);
  }
  assert.equal((await fetch(`${stack.api}/api/tasks/${unknown}`, { method: 'DELETE' })).status, 404);
});
