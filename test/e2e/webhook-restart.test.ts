/**
 * Deliveries survive their worker: the service-wide WEBHOOK_URL gets a task's final event although
 * the worker is killed with SIGKILL while the receiver holds the first attempt open. The new worker
 * sends it again under the same webhook-id. Neither process ever logs the secret; a WEBHOOK_URL
 * without WEBHOOK_SECRET stops start-up with a clear message.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newWebhookSecret } from '../../src/webhooks/settings.js';
import { taggedImage } from '../helpers/images.js';
import { spawnService, type Service } from '../helpers/processes.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import type { TaskWebhooks } from '../../src/contract/index.js';

const secret = newWebhookSecret();
let stack: Stack;
let receiver: WebhookReceiver;
const workers: ChildProcess[] = [];

before(async () => {
  receiver = await startWebhookReceiver(secret);
  stack = await startStack({ worker: false, env: { WEBHOOK_SECRET: secret } });
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await stack?.stop();
  await receiver?.close();
});

const spawnWorker = async (): Promise<Service> => {
  const service = await spawnService(stack, 'worker', { WEBHOOK_SECRET: secret, WEBHOOK_URL: receiver.url('/service'), WEBHOOK_EVENTS: 'task.completed' });
  workers.push(service.child);
  return service;
};

test('a worker killed with SIGKILL during a delivery: the next worker delivers the event, same webhook-id', async () => {
  receiver.script('/service', ['hang']);
  const first = await spawnWorker();
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(9501), 'page.png');
  const taskId = String(body.task_id);
  const [held] = await receiver.waitFor('/service');
  assert.equal((await waitForTask(stack, taskId)).status, 'completed', 'the status does not wait for the webhook');
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  const second = await spawnWorker();
  // The lost attempt is noticed by its missing heartbeats (5 s), then run on the new worker.
  const [, again] = await receiver.waitFor('/service', 2, 60_000);
  assert.equal(again!.id, held!.id);
  assert.equal(again!.payload.type, 'task.completed');
  assert.equal(again!.payload.data.task_id, taskId);
  const answer = await eventually(async () => {
    const { body: hooks } = await getJson<TaskWebhooks>(`${stack.api}/api/tasks/${taskId}/webhooks`);
    return hooks.events[0]?.deliveries[0]?.outcome === 'delivered' ? hooks : undefined;
  }, 'the delivery to be recorded');
  assert.deepEqual(answer.events[0]!.deliveries.map((d) => [d.target, d.url, d.attempts]), [['service', receiver.url('/service'), 2]]);
  assert.deepEqual(receiver.rejected, []);
  const key = secret.slice('whsec_'.length);
  for (const output of [first.output(), second.output()]) assert.ok(!output.includes(key), 'the secret is never logged');
});

test('WEBHOOK_URL without WEBHOOK_SECRET stops start-up with a clear message', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'worker'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, WEBHOOK_URL: 'https://example.com/hook' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 2);
  assert.match(stderr, /WEBHOOK_URL is set but WEBHOOK_SECRET is not/);
});
