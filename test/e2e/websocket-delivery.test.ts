/**
 * How WebSocket events travel: from a worker through Postgres NOTIFY to every API process, across a
 * lost listener connection, and past dead and silent clients.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { recordOutcome, recordPage, recordStart } from '../../src/tasks/record.js';
import { taggedImage } from '../helpers/images.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { spawnService } from '../helpers/processes.js';
import { eventually, postFile, startStack, type Stack } from '../helpers/stack.js';
import { connectWs, ofType, wsUrl, type WsClient } from '../helpers/ws-client.js';

let stack: Stack;
let idle: Stack;
const children: ChildProcess[] = [];
const clients: WsClient[] = [];
before(async () => {
  [stack, idle] = await Promise.all([
    startStack({ env: { BATCH_SIZE: '2', CONCURRENCY: '2', PDF_DPI: '72' } }),
    // No worker: tasks stay where the test puts them. Pings every second.
    startStack({ worker: false, env: { WS_PING_INTERVAL: '1' } }),
  ]);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([stack?.stop(), idle?.stop()]);
});

async function subscribed(url: string, taskId: string): Promise<WsClient> {
  const client = await connectWs(url);
  clients.push(client);
  client.send({ type: 'subscribe_task', task_id: taskId });
  await client.waitFor(ofType('task_subscribed', taskId), 'task_subscribed');
  return client;
}

const pageNumbers = (client: WsClient, taskId: string) => client.messages
  .filter(ofType('page_completed', taskId))
  .map((m) => (m.data as { page_number: number }).page_number)
  .sort((a, b) => a - b);

test('two API processes and one worker: clients of either receive every event of their task', async () => {
  const second = await spawnService(stack, 'api');
  children.push(second.child);
  const tags = pageTags(5, 40);
  for (const tag of tags) stack.stub.script([{ kind: 'ok', delayMs: 500 }], tag);
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), 'shared.pdf');
  const taskId = String(body.task_id);

  const here = await subscribed(wsUrl(stack.api), taskId);
  const there = await subscribed(wsUrl(`http://127.0.0.1:${second.port}/${stack.config.http.password}`), taskId);
  for (const client of [here, there]) {
    const done = await client.waitFor(ofType('task_completed', taskId), 'task_completed', { timeoutMs: 60_000 });
    assert.equal(done.status, 'completed');
    assert.deepEqual(pageNumbers(client, taskId), [1, 2, 3, 4, 5]);
  }
});

test('after the event listener lost its connection, subscribers catch up on what they missed', async () => {
  const { body } = await postFile(`${idle.api}/api/async/image`, await taggedImage(50), 'missed.png');
  const taskId = String(body.task_id);
  const client = await subscribed(wsUrl(idle.api), taskId);
  await client.waitFor(ofType('task_progress', taskId), 'the snapshot');

  const listeners = async () => (await idle.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`)).rows.map((r) => r.pid);
  const [old] = await listeners();
  assert.ok(old, 'the API listens');
  await idle.pool.query('select pg_terminate_backend($1)', [old]);
  await eventually(async () => ((await listeners()).includes(old) ? undefined : true), 'the old listener to go');
  // Announced while nobody listens: these notifications are lost.
  await recordStart(idle.pool, taskId, 'stub-model');
  await recordPage(idle.pool, {
    taskId, pageNumber: 1, status: 'completed', content: 'missed', errorClass: null, errorMessage: null,
    attempts: 1, processingMs: 5, promptTokens: null, completionTokens: null, tokensEstimated: false, warnings: [], sent: null,
  });
  await recordOutcome(idle.pool, taskId, { kind: 'done' });
  const finishedAt = Date.now();

  const done = await client.waitFor(ofType('task_completed', taskId), 'task_completed after the reconnect');
  assert.equal(done.status, 'completed');
  assert.ok(client.messages.some(ofType('task_started', taskId)));
  const { rows } = await idle.pool.query<{ started: Date }>(
    `select backend_start as started from pg_stat_activity where datname = current_database() and query ilike 'listen%'`);
  assert.ok(rows.length === 1 && rows[0]!.started.getTime() > finishedAt - 1000, 'the listener reconnected after the events were sent');
});

/** Completes a WebSocket handshake by hand, then never answers anything: a dead peer. */
async function deadPeer(url: URL): Promise<net.Socket> {
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write([
    `GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
  ].join('\r\n'));
  await new Promise<void>((resolve) => socket.once('data', (d: Buffer) => {
    assert.match(d.toString(), /^HTTP\/1.1 101/);
    resolve();
  }));
  // Reads whatever comes (pings included) and never answers.
  socket.on('data', () => {});
  return socket;
}

test('the server pings: a dead connection is dropped, a silent healthy one is kept', async () => {
  const silent = await connectWs(wsUrl(idle.api));
  clients.push(silent);
  let pings = 0;
  silent.socket.on('ping', () => { pings++; });

  const dead = await deadPeer(new URL(wsUrl(idle.api)));
  const gone = new Promise<number>((resolve) => {
    const start = Date.now();
    dead.once('close', () => resolve(Date.now() - start));
  });
  // Pings every second: the dead peer misses one, and is dropped at the next.
  const droppedAfterMs = await gone;
  assert.ok(droppedAfterMs < 5000, `dropped after ${droppedAfterMs} ms`);

  // The silent client never sent a message, but its socket answers pings: still up after several.
  await eventually(() => Promise.resolve(pings >= 4 ? true : undefined), 'four pings');
  silent.send({ type: 'ping' });
  await silent.waitFor(ofType('pong'), 'pong from the silent client');
});
