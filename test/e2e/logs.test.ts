/** The logs of `ocr api` and `ocr worker`: JSON lines, one per request and per task transition, quiet polls, no secrets. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { spawnService, type Service } from '../helpers/processes.js';
import { eventually, postFile, startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
const children: ChildProcess[] = [];
before(async () => {
  stack = await startStack({ worker: false });
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stack?.stop();
});

async function spawn(command: 'api' | 'worker', env: Record<string, string> = {}): Promise<Service> {
  const service = await spawnService(stack, command, env);
  children.push(service.child);
  return service;
}

interface LogLine { level: number; msg: string; [field: string]: unknown }
const lines = (service: Service) => service.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

test('one JSON line per request and per task transition; polls stay quiet; no secrets', async () => {
  const api = await spawn('api');
  const worker = await spawn('worker');
  const origin = `http://127.0.0.1:${api.port}`;
  const { body } = await postFile(`${origin}/test-pw/api/async/image`, await taggedImage(90), 'logged.png');
  const taskId = String(body.task_id);
  for (let i = 0; i < 3; i++) await fetch(`${origin}/health`);
  await fetch(`${origin}/test-px/api/tasks`); // a mistyped password
  await fetch(`${origin}/test-pw/api/tasks/${taskId}`);

  await eventually(() => Promise.resolve(lines(worker).some((l) => l.msg === 'task finished') ? true : undefined), 'the worker to log the outcome');
  const apiLines = lines(api);
  const requests = apiLines.filter((l) => l.msg === 'request');
  assert.deepEqual(
    requests.map((r) => [r.method, r.route, r.status]),
    [['POST', '/api/async/image', 200], ['GET', null, 404], ['GET', '/api/tasks/:id', 200]],
    'health polls log at debug; every other request once',
  );
  assert.equal(requests[2]!.path, `/api/tasks/${taskId}`);
  assert.ok(requests.every((r) => typeof r.ms === 'number'));
  assert.ok(apiLines.some((l) => l.msg === 'task submitted' && l.taskId === taskId));
  const transitions = lines(worker).filter((l) => l.taskId === taskId).map((l) => l.msg);
  assert.deepEqual(transitions.filter((m) => m.startsWith('task ')), ['task started', 'task finished']);

  const everything = api.output() + worker.output();
  for (const secret of ['test-pw', 'test-px', 'sk-test-key']) assert.ok(!everything.includes(secret), `${secret} never logged`);
});

test('LOG_LEVEL is honoured: at warn, a request logs nothing', async () => {
  const api = await spawn('api', { LOG_LEVEL: 'warn' });
  await fetch(`http://127.0.0.1:${api.port}/test-pw/api/tasks`);
  await fetch(`http://127.0.0.1:${api.port}/test-pw/api/tasks/not-a-task`);
  assert.deepEqual(lines(api).filter((l) => l.level < 40), []);
});
