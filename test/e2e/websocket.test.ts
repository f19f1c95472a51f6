/** The WebSocket contract: every message type, images and PDFs alike, against the real stack. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { connectWs, ofType, wsUrl, type WsClient, type WsMessage } from '../helpers/ws-client.js';

let stack: Stack;
const clients: WsClient[] = [];
before(async () => {
  // Priced, so views over the WebSocket must show the same cost as over HTTP.
  stack = await startStack({ env: { BATCH_SIZE: '2', CONCURRENCY: '2', PDF_DPI: '72', MODEL_PRICES: '{"stub-model":{"input":1,"output":2}}' } });
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack?.stop();
});

async function connect(clientId?: string): Promise<WsClient> {
  const client = await connectWs(wsUrl(stack.api, clientId));
  clients.push(client);
  await client.waitFor(ofType('connection_established'), 'connection_established');
  return client;
}

async function submit(route: 'image' | 'pdf', bytes: Buffer, name: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/${route}`, bytes, name);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

const typesFor = (client: WsClient, taskId: string) => client.messages.filter((m) => m.task_id === taskId).map((m) => m.type);

test('connection_established and ping/pong; a missing client_id gets a UUID', async () => {
  const named = await connect('client-a');
  const first = named.messages[0]!;
  assert.equal(first.type, 'connection_established');
  assert.equal(first.client_id, 'client-a');
  assert.equal(first.heartbeat_interval, 30);
  assert.ok(!Number.isNaN(Date.parse(first.timestamp)));

  const anonymous = await connect();
  assert.match(String(anonymous.messages[0]!.client_id), /^[0-9a-f-]{36}$/, 'a missing client_id gets a UUID');

  named.send({ type: 'ping' });
  await named.waitFor(ofType('pong'), 'pong');
  assert.ok(named.messages.every((m) => typeof m.timestamp === 'string'));
});

test('an image: task_subscribed, task_started, page_completed, task_progress and task_completed', async () => {
  const tag = 11;
  // Slow enough that the subscription is in place before the page is done.
  stack.stub.script([{ kind: 'ok', delayMs: 1500 }], tag);
  const taskId = await submit('image', await taggedImage(tag), 'photo.png');
  const client = await connect();
  // `subscribe` is what the old service's README and UI send.
  client.send({ type: 'subscribe', task_id: taskId });

  const done = await client.waitFor(ofType('task_completed', taskId), 'task_completed');
  // Whether the worker started the task before the subscription is a race: both orders are right.
  const types = typesFor(client, taskId);
  const once = ['task_subscribed', 'task_started', 'page_completed', 'task_completed'];
  assert.deepEqual(types.filter((t) => once.includes(t)), once, types.join());
  assert.equal(types.at(-2), 'task_progress', 'the final counts come before the outcome');
  const started = await client.waitFor(ofType('task_started', taskId), 'task_started');
  assert.deepEqual([started.task_type, started.file_name, started.total_pages], ['image_ocr', 'photo.png', 1]);
  const page = (await client.waitFor(ofType('page_completed', taskId), 'page_completed')).data as Record<string, unknown>;
  assert.deepEqual(Object.keys(page).sort(), ['content_length', 'error_message', 'page_number', 'processing_time', 'status', 'warnings']);
  assert.ok(Number(page.processing_time) >= 1.5, `processing_time ${String(page.processing_time)}`);
  assert.deepEqual(page, { ...page, page_number: 1, status: 'completed', content_length: stubMarkdown(tag).length, error_message: null, warnings: [] });
  const progress = client.messages.filter(ofType('task_progress', taskId)).at(-1)!;
  assert.deepEqual([progress.processed, progress.failed, progress.total, progress.progress], [1, 0, 1, 100]);
  assert.equal(done.status, 'completed');
  assert.equal(done.content_preview, stubMarkdown(tag));
  assert.deepEqual(done.result_summary, { ...(done.result_summary as object), total_pages: 1, successful_pages: 1, failed_pages: 0 });
});

test('a PDF: page_completed for every page, progress that never goes back, and an ETA', async () => {
  const tags = pageTags(6, 20);
  for (const tag of tags) stack.stub.script([{ kind: 'ok', delayMs: 400 }], tag);
  const taskId = await submit('pdf', makePdf(tags), 'doc.pdf');
  const client = await connect();
  client.send({ type: 'subscribe_task', task_id: taskId });
  await client.waitFor(ofType('task_completed', taskId), 'task_completed', { timeoutMs: 60_000 });

  const pages = client.messages.filter(ofType('page_completed', taskId)).map((m) => (m.data as { page_number: number }).page_number);
  assert.deepEqual([...pages].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], 'each page announced once');
  const progress = client.messages.filter(ofType('task_progress', taskId));
  const processed = progress.map((m) => m.processed as number);
  assert.deepEqual(processed, [...processed].sort((a, b) => a - b), 'progress never goes back');
  assert.deepEqual(progress.at(-1)!.processed, 6);
  const midway = progress.find((m) => (m.processed as number) > 0 && (m.processed as number) < 6);
  assert.ok(midway && typeof midway.eta_seconds === 'number' && midway.eta_seconds > 0, `a real ETA midway: ${JSON.stringify(midway)}`);
});

test('subscribing to a finished task replays its state; get_task_status answers what GET /api/tasks/{id} does', async () => {
  const taskId = await submit('image', await taggedImage(12), 'done.png');
  await waitForTask(stack, taskId);
  const client = await connect();
  client.send({ type: 'subscribe_task', task_id: taskId });
  await client.waitFor(ofType('task_completed', taskId), 'task_completed');
  assert.deepEqual(typesFor(client, taskId), ['task_subscribed', 'task_started', 'task_progress', 'task_completed']);

  client.send({ type: 'get_task_status', task_id: taskId });
  const status = await client.waitFor(ofType('task_status_response', taskId), 'task_status_response');
  const { body } = await getJson<{ data: { usage: { cost: number | null } } }>(`${stack.api}/api/tasks/${taskId}`);
  assert.ok(body.data.usage.cost !== null && body.data.usage.cost > 0, 'a priced task has a cost');
  assert.deepEqual(status.task_info, body.data);
});

test('task_failed and task_cancelled', async () => {
  const failTag = 13;
  stack.stub.script([{ kind: 'status', status: 400, message: 'image rejected' }], failTag);
  const failedId = await submit('image', await taggedImage(failTag), 'bad.png');
  const tags = pageTags(4, 30);
  for (const tag of tags) stack.stub.script([{ kind: 'hang' }], tag);
  const cancelledId = await submit('pdf', makePdf(tags), 'long.pdf');

  const client = await connect();
  client.send({ type: 'subscribe_task', task_id: failedId });
  client.send({ type: 'subscribe_task', task_id: cancelledId });
  const failed = await client.waitFor(ofType('task_failed', failedId), 'task_failed');
  assert.equal(failed.failed_page, 1);
  assert.match(String(failed.error_message), /image rejected|400/);
  assert.deepEqual(failed.partial_results, { total_pages: 1, processed_pages: 0, failed_pages: 1 });

  await client.waitFor(ofType('task_started', cancelledId), 'the PDF to start');
  const res = await fetch(`${stack.api}/api/tasks/${cancelledId}/cancel`, { method: 'POST' });
  assert.equal(res.status, 202);
  const cancelled = await client.waitFor(ofType('task_cancelled', cancelledId), 'task_cancelled');
  assert.equal(cancelled.reason, '用户取消');
});

test('unsubscribe_task stops the messages of that task', async () => {
  const tag = 14;
  stack.stub.script([{ kind: 'ok', delayMs: 1000 }], tag);
  const taskId = await submit('image', await taggedImage(tag), 'quiet.png');
  const client = await connect();
  const watcher = await connect();
  client.send({ type: 'subscribe_task', task_id: taskId });
  watcher.send({ type: 'subscribe_task', task_id: taskId });
  await client.waitFor(ofType('task_subscribed', taskId), 'task_subscribed');
  client.send({ type: 'unsubscribe_task', task_id: taskId });
  const unsubscribed = await client.waitFor(ofType('task_unsubscribed', taskId), 'task_unsubscribed');
  const after = client.messages.indexOf(unsubscribed);
  // The other subscriber proves the task went on; the one that left heard nothing more of it.
  await watcher.waitFor(ofType('task_completed', taskId), 'task_completed for the watcher');
  client.send({ type: 'ping' });
  await client.waitFor(ofType('pong'), 'pong', { from: after });
  assert.deepEqual(client.messages.slice(after + 1).filter((m: WsMessage) => m.task_id === taskId), []);
});

test('a reused client_id replaces the older connection', async () => {
  const older = await connect('same-id');
  const newer = await connect('same-id');
  assert.equal(await older.closed, 4000);
  newer.send({ type: 'ping' });
  await newer.waitFor(ofType('pong'), 'pong on the newer connection');
});
