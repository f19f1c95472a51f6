/** kill -9 of the worker process mid-task: a new worker finishes it, with exactly one result. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { testEnv } from '../helpers/env.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let stack: Stack;
const workers: ChildProcess[] = [];

before(async () => {
  stack = await startStack({ worker: false });
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await stack?.stop();
});

/** `ocr worker` as its own process, started the way an operator would; resolves once it polls. */
async function spawnWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'worker'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      API_BASE_URL: stack.stub.url,
      OPENAI_API_KEY: 'sk-test-key',
      MODEL: 'stub-model',
      DATA_DIR: await mkdtemp(path.join(testEnv.scratchDir, 'worker-')),
      LOG_LEVEL: 'info',
    },
  });
  workers.push(child);
  let output = '';
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('"worker started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return child;
}

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
