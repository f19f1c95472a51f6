/**
 * The service on the Temporal that docker-compose.yml deploys: the same server version, backed by
 * Postgres (persistence and SQL visibility), its schemas, namespace and search attributes set up by
 * compose's own scripts (scripts/temporal-postgres.sh). A PDF end to end, a search-attribute query
 * answered by SQL visibility, two workers and two APIs, and a kill -9 of the server mid-PDF.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { countActivityWorkers } from '../../src/temporal/task-queue.js';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { OCR_FILE_NAME, OCR_PAGE_COUNT, OCR_SEARCH_ATTRIBUTES, OCR_STATUS } from '../../src/workflows/search-attributes.js';
import { batchHistory } from '../helpers/batch-history.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { spawnService } from '../helpers/processes.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { startPostgresTemporal, type PostgresTemporal } from '../helpers/temporal-postgres.js';

// As from one .env: the APIs cut batches of BATCH_SIZE, each worker makes CONCURRENCY model calls.
const env = { PDF_DPI: '72', BATCH_SIZE: '2', CONCURRENCY: '2' };

let temporal: PostgresTemporal;
let stack: Stack;
let connection: Connection;
let client: Client;
const children: ChildProcess[] = [];
/** The namespace's custom search attributes as compose's script registered them (name → type). */
let registered: Record<string, string> = {};

before(async () => {
  temporal = await startPostgresTemporal();
  connection = await Connection.connect({ address: temporal.address });
  // Before any API starts: the API adds missing attributes itself, which would hide a drift.
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  registered = Object.fromEntries(Object.entries(customAttributes ?? {}).map(([name, type]) => [name, String(type)]));
  stack = await startStack({ temporalAddress: temporal.address, env });
  client = new Client({ connection, namespace: stack.config.temporal.namespace });
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await connection?.close();
  await stack?.stop();
  await temporal?.stop();
});

async function submitPdf(api: string, tags: number[], fileName: string): Promise<string> {
  const { status, body } = await postFile(`${api}/api/async/pdf`, makePdf(tags), fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

async function assertEveryPageOnce(taskId: string, tags: number[]): Promise<void> {
  const { rows } = await stack.pool.query<{ page_number: number; content: string }>(
    'select page_number, content from pages where task_id = $1 order by page_number', [taskId]);
  assert.deepEqual(rows.map((r) => [r.page_number, r.content]), tags.map((t, i) => [i + 1, stubMarkdown(t)]));
  const sentAgain = tags.filter((t) => stack.stub.callsFor(t).length !== 1);
  assert.deepEqual(sentAgain, [], 'pages sent to the model other than once');
}

test('compose\'s create-namespace.sh registers every search attribute the workflow sets, with its type', () => {
  const expected = Object.fromEntries(OCR_SEARCH_ATTRIBUTES.map((key) => [key.name, String(encodeSearchAttributeIndexedValueType(key.type))]));
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((name) => [name, registered[name]])), expected);
});

test('a PDF runs end to end, and SQL visibility finds its workflow by the search attributes', async () => {
  const tags = pageTags(5, 100);
  const fileName = `report-${randomUUID()}.pdf`;
  const taskId = await submitPdf(stack.api, tags, fileName);
  assert.equal((await waitForTask(stack, taskId, 60_000)).status, 'completed');
  await assertEveryPageOnce(taskId, tags);

  // The status is upserted just before the run closes; visibility (a Postgres table) lags a little.
  await client.workflow.getHandle(taskId).result();
  const found = await eventually(async () => {
    const matches: WorkflowExecutionInfo[] = [];
    for await (const info of client.workflow.list({ query: `OcrStatus = "completed" AND OcrFileName = "${fileName}" AND OcrPageCount = 5` })) matches.push(info);
    return matches.length > 0 ? matches : undefined;
  }, 'the workflow in a visibility query');
  assert.deepEqual(found.map((info) => info.workflowId), [taskId]);
  const attrs = found[0]!.typedSearchAttributes;
  assert.deepEqual([attrs.get(OCR_STATUS), attrs.get(OCR_FILE_NAME), attrs.get(OCR_PAGE_COUNT)], ['completed', fileName, 5]);
});

test('two workers and two APIs: a PDF submitted through the second API is spread over both workers', async () => {
  const [worker, api] = await Promise.all([spawnService(stack, 'worker', env), spawnService(stack, 'api', env)]);
  children.push(worker.child, api.child);
  const { namespace, taskQueue } = stack.config.temporal;
  await eventually(async () => ((await countActivityWorkers(connection.workflowService, namespace, taskQueue)) === 2 ? true : undefined),
    'both workers to poll the task queue');

  stack.stub.latencyMs = 300;
  const tags = pageTags(12, 200);
  const taskId = await submitPdf(`http://127.0.0.1:${api.port}/${stack.config.http.password}`, tags, 'spread.pdf');
  assert.equal((await waitForTask(stack, taskId, 60_000)).status, 'completed');
  await assertEveryPageOnce(taskId, tags);
  const { runs } = await batchHistory(client, taskId);
  assert.equal(runs.length, 6, 'six batches of two pages');
  assert.equal(new Set(runs.map((r) => r.identity)).size, 2, 'batches ran on both workers');
});

test('kill -9 of the Temporal server mid-PDF: started again, the task completes and no page is sent twice', async () => {
  stack.stub.latencyMs = 700;
  const tags = pageTags(10, 300);
  const taskId = await submitPdf(stack.api, tags, 'killed.pdf');
  await eventually(() => Promise.resolve(tags.filter((t) => stack.stub.callsFor(t).length > 0).length >= 3 ? true : undefined), 'the first pages to be sent');

  await temporal.kill();
  const { rows: [stored] } = await stack.pool.query<{ n: number }>('select count(*)::int as n from pages where task_id = $1', [taskId]);
  assert.ok(stored!.n < tags.length, 'the server died in the middle of the PDF');
  await temporal.start();

  const task = await waitForTask(stack, taskId, 120_000);
  assert.equal(task.status, 'completed');
  await assertEveryPageOnce(taskId, tags);
});
