/**
 * Operators' view in Temporal: every task's workflow carries OcrStatus, OcrTaskType, OcrFileName and
 * OcrPageCount (filterable in the Web UI), and answers a progress query while it runs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { pino } from 'pino';
import { freePort } from '../../src/main/processes.js';
import { startTemporalDevServer, type RunningDevServer } from '../../src/main/temporal-dev-server.js';
import { progressQuery } from '../../src/workflows/ocr-task.js';
import { OCR_FILE_NAME, OCR_MODEL, OCR_PAGE_COUNT, OCR_STATUS, OCR_TASK_TYPE } from '../../src/workflows/search-attributes.js';
import { testEnv } from '../helpers/env.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
let connection: Connection;
let client: Client;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '2', CONCURRENCY: '2' } });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection, namespace: stack.config.temporal.namespace });
});
after(async () => {
  await connection?.close();
  await stack?.stop();
});

async function submitPdf(s: Stack, tags: number[], fileName: string): Promise<string> {
  const { status, body } = await postFile(`${s.api}/api/async/pdf`, makePdf(tags), fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

/** The workflow found by a visibility query, once visibility has caught up (it lags a little). */
function findByQuery(c: Client, query: string): Promise<WorkflowExecutionInfo> {
  return eventually(async () => {
    for await (const info of c.workflow.list({ query })) return info;
    return undefined;
  }, `a workflow matching ${query}`);
}

describe('search attributes', () => {
  test('a finished PDF task carries its status, type, file name and page count', async () => {
    const fileName = `report-${randomUUID()}.pdf`;
    const taskId = await submitPdf(stack, pageTags(3, 11), fileName);
    assert.equal((await waitForTask(stack, taskId)).status, 'completed');

    // The status is upserted just before the run closes: wait for the close, not only the row.
    await client.workflow.getHandle(taskId).result();
    const attrs = (await client.workflow.getHandle(taskId).describe()).typedSearchAttributes;
    assert.equal(attrs.get(OCR_STATUS), 'completed');
    assert.equal(attrs.get(OCR_TASK_TYPE), 'pdf_ocr');
    assert.equal(attrs.get(OCR_FILE_NAME), fileName);
    assert.equal(attrs.get(OCR_PAGE_COUNT), 3);
    assert.equal(attrs.get(OCR_MODEL), 'stub-model');

    const found = await findByQuery(client, `OcrStatus = "completed" AND OcrTaskType = "pdf_ocr" AND OcrPageCount = 3 AND OcrModel = "stub-model" AND WorkflowId = "${taskId}"`);
    assert.equal(found.workflowId, taskId);
  });

  test('a cancelled task says so, and the status filter tells it apart', async () => {
    stack.stub.script([{ kind: 'hang' }], 21);
    const taskId = await submitPdf(stack, [21], `hang-${randomUUID()}.pdf`);
    await eventually(() => Promise.resolve(stack.stub.callsFor(21).length > 0 ? true : undefined), 'the page to reach the model');
    const cancel = await fetch(`${stack.api}/api/tasks/${taskId}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    assert.equal((await waitForTask(stack, taskId)).status, 'cancelled');

    await findByQuery(client, `OcrStatus = "cancelled" AND WorkflowId = "${taskId}"`);
    const completed = [];
    for await (const info of client.workflow.list({ query: `OcrStatus = "completed" AND WorkflowId = "${taskId}"` })) completed.push(info);
    assert.deepEqual(completed, []);
  });
});

describe('the progress query', () => {
  test('answers while the task runs, and with the outcome once it is done', async () => {
    const tags = pageTags(6, 31);
    // Page 31 hangs until the task is cancelled; the other pages finish.
    stack.stub.script([{ kind: 'hang' }], 31);
    const taskId = await submitPdf(stack, tags, 'progress.pdf');
    const handle = client.workflow.getHandle(taskId);

    const running = await eventually(async () => {
      const p = await handle.query(progressQuery);
      // Batches 2 and 3 are done; batch 1 waits on its hanging page.
      return p.finishedBatches === 2 ? p : undefined;
    }, 'two batches to report');
    assert.deepEqual(running, { status: 'processing', total: 6, done: 4, failed: 0, totalBatches: 3, finishedBatches: 2, inFlightBatches: 1 });
    const { body } = await getJson<{ data: { status: string } }>(`${stack.api}/api/tasks/${taskId}`);
    assert.equal(body.data.status, 'processing');

    await fetch(`${stack.api}/api/tasks/${taskId}/cancel`, { method: 'POST' });
    await handle.result().catch(() => {});
    const final = await handle.query(progressQuery);
    assert.equal(final.status, 'cancelled');
    assert.equal(final.inFlightBatches, 0);
  });
});

describe('a Temporal server without the search attributes', () => {
  let bare: RunningDevServer | undefined;
  let other: Stack | undefined;
  after(async () => {
    await other?.stop();
    await bare?.stop();
  });

  test('gets them registered by the API at start-up, and tasks carry them', async () => {
    bare = await startTemporalDevServer({ port: await freePort(), searchAttributes: false, log: pino({ level: 'silent' }) });
    const bareConnection = await Connection.connect({ address: bare.address });
    try {
      const before = await bareConnection.operatorService.listSearchAttributes({ namespace: 'default' });
      assert.equal(before.customAttributes?.OcrStatus, undefined, 'the server starts without them');

      other = await startStack({ temporalAddress: bare.address, env: { PDF_DPI: '72' } });
      const taskId = await submitPdf(other, [41], 'bare.pdf');
      assert.equal((await waitForTask(other, taskId)).status, 'completed');
      const bareClient = new Client({ connection: bareConnection });
      await bareClient.workflow.getHandle(taskId).result();
      const attrs = (await bareClient.workflow.getHandle(taskId).describe()).typedSearchAttributes;
      assert.deepEqual([attrs.get(OCR_STATUS), attrs.get(OCR_FILE_NAME), attrs.get(OCR_PAGE_COUNT)], ['completed', 'bare.pdf', 1]);
    } finally {
      await bareConnection.close();
    }
  });
});
