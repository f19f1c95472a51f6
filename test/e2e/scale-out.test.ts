/**
 * Scale out on one machine: two workers and two API processes against one Temporal and one Postgres.
 * A PDF submitted through either API has its batches run by both workers, with a window that grew
 * to the two workers' capacity.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { countActivityWorkers } from '../../src/temporal/task-queue.js';
import { batchWindow } from '../../src/workflows/types.js';
import { batchHistory } from '../helpers/batch-history.js';
import { testEnv } from '../helpers/env.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { spawnService } from '../helpers/processes.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

// Every process gets the same settings, as from one .env: the API cuts batches of BATCH_SIZE.
const env = { PDF_DPI: '72', BATCH_SIZE: '2', CONCURRENCY: '2' };

let stack: Stack;
let connection: Connection;
let client: Client;
let secondApi: string;
const children: ChildProcess[] = [];

before(async () => {
  // One worker and one API in this process, a second of each as `ocr worker` and `ocr api`.
  stack = await startStack({ env });
  const [worker, api] = await Promise.all([spawnService(stack, 'worker', env), spawnService(stack, 'api', env)]);
  children.push(worker.child, api.child);
  secondApi = `http://127.0.0.1:${api.port}/${stack.config.http.password}`;
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection, namespace: stack.config.temporal.namespace });
  const { namespace, taskQueue } = stack.config.temporal;
  await eventually(async () => ((await countActivityWorkers(connection.workflowService, namespace, taskQueue)) === 2 ? true : undefined),
    'both workers to poll the task queue');
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await connection?.close();
  await stack?.stop();
});

test('a PDF submitted through the second API is spread over both workers, every page once', async () => {
  stack.stub.latencyMs = 300;
  const tags = pageTags(12, 700);
  const { status, body } = await postFile(`${secondApi}/api/async/pdf`, makePdf(tags), 'spread.pdf');
  assert.equal(status, 200, JSON.stringify(body));
  const taskId = String(body.task_id);

  const task = await waitForTask(stack, taskId, 60_000);
  assert.equal(task.status, 'completed');
  const { rows } = await stack.pool.query<{ page_number: number; content: string }>(
    'select page_number, content from pages where task_id = $1 order by page_number', [taskId]);
  assert.deepEqual(rows.map((r) => [r.page_number, r.content]), tags.map((t, i) => [i + 1, stubMarkdown(t)]));
  assert.ok(tags.every((t) => stack.stub.callsFor(t).length === 1), 'each page went to the model once');

  const { runs, maxOpen } = await batchHistory(client, taskId);
  assert.equal(runs.length, 6, 'six batches of two pages');
  const identities = new Set(runs.map((r) => r.identity));
  assert.equal(identities.size, 2, `batches ran on ${[...identities].join(', ')}`);
  // The window follows the workers polling: two workers' worth, not the one worker's the task started with.
  const oneWorker = batchWindow({ workers: 1, concurrency: 2 }, 2);
  const twoWorkers = batchWindow({ workers: 2, concurrency: 2 }, 2);
  assert.equal(oneWorker, 3);
  assert.equal(maxOpen, twoWorkers, `at most ${maxOpen} batches in flight at once`);
});
