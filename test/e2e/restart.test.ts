/** kill -9 of the worker process mid-task: a new worker finishes it, with exactly one result. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { spawnService } from '../helpers/processes.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
const workers: ChildProcess[] = [];

before(async () => {
  stack = await startStack({ worker: false });
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await stack?.stop();
});

const spawnWorker = async (): Promise<ChildProcess> => {
  const { child } = await spawnService(stack, 'worker', { CONCURRENCY: '2', BATCH_SIZE: '3', PDF_DPI: '72' });
  workers.push(child);
  return child;
};

test('a task whose worker is killed with SIGKILL mid-call completes on a new worker', async () => {
  const tag = 500;
  // The first call takes a minute: the worker is certainly inside it when it is killed.
  stack.stub.script([{ kind: 'ok', delayMs: 60_000 }], tag);
  const first = await spawnWorker();
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), 'slow.png');
  const taskId = String(body.task_id);
  await eventually(() => Promise.resolve(stack.stub.callsFor(tag).length === 1 ? true : undefined), 'the first model call');

  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await spawnWorker();

  // The lost attempt is noticed by its heartbeat timeout (20 s), then retried on the new worker.
  const task = await waitForTask(stack, taskId, 90_000);
  assert.equal(task.status, 'completed');
  const { rows } = await stack.pool.query('select page_number, content from pages where task_id = $1', [taskId]);
  assert.deepEqual(rows, [{ page_number: 1, content: stubMarkdown(tag) }]);
  assert.equal(stack.stub.callsFor(tag).length, 2, 'the model is called again only for the page in flight');
});

test('a PDF whose worker is killed mid-way completes with one result per page', async () => {
  const tags = pageTags(9, 600);
  stack.stub.latencyMs = 1000;
  const first = await spawnWorker();
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), 'long.pdf');
  const taskId = String(body.task_id);
  const pdfCalls = () => stack.stub.calls.filter((c) => tags.includes(c.tag));
  // Kill while some pages are done and others are in flight.
  await eventually(() => Promise.resolve(pdfCalls().length >= 4 ? true : undefined), 'a few pages to be sent', 60_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const sentAtKill = new Set(pdfCalls().map((c) => c.tag));
  const { rows: stored } = await stack.pool.query<{ page_number: number }>('select page_number from pages where task_id = $1', [taskId]);
  const storedAtKill = new Set(stored.map((r) => tags[r.page_number - 1]!));
  assert.ok(storedAtKill.size < tags.length, 'the worker died in the middle of the PDF');
  await spawnWorker();

  const task = await waitForTask(stack, taskId, 120_000);
  assert.equal(task.status, 'completed');
  const { rows } = await stack.pool.query<{ page_number: number; content: string }>(
    'select page_number, content from pages where task_id = $1 order by page_number', [taskId]);
  assert.deepEqual(rows.map((r) => [r.page_number, r.content]), tags.map((t, i) => [i + 1, stubMarkdown(t)]));
  // Only pages sent but not stored at the kill went to the model again: those in flight (at most
  // CONCURRENCY = 2) and those answered whose save had not committed (a slot is given back as the
  // answer arrives, before the page is saved), never a stored one.
  const sentTwice = tags.filter((t) => stack.stub.callsFor(t).length > 1);
  const unsaved = [...sentAtKill].filter((t) => !storedAtKill.has(t));
  assert.ok(sentTwice.every((t) => unsaved.includes(t)), `pages sent twice: ${sentTwice.join(', ')}; unsaved at the kill: ${unsaved.join(', ')}`);
  assert.ok(sentTwice.length <= 4, `pages sent twice: ${sentTwice.join(', ')}`);
  assert.ok(tags.every((t) => stack.stub.callsFor(t).length <= 2));
});
