/**
 * Records ocrTaskWorkflow histories from real runs for replay.test.ts: the real stack (worker, API,
 * Postgres; only the model is the stub) runs each scenario, and each closed run's history is written
 * to test/workflows/histories/<HISTORY_PREFIX><name>.json. Run it through the test runner, which
 * provides Temporal, Postgres and this checkout's workflow bundle (it is not a *.test.ts file, so
 * `npm test` leaves it alone):
 *
 *   HISTORY_PREFIX=my-change- npx tsx test/run.ts test/workflows/record-histories.ts
 *   RECORD=image,pdf-cancelled HISTORY_PREFIX=my-change- npx tsx test/run.ts test/workflows/record-histories.ts
 *
 * It never overwrites a file: a history is the evidence of the code that ran it, and replacing it
 * with one from newer code would drop the very runs a replay test has to keep working.
 * HISTORIES_DIR writes elsewhere (an older checkout recording into this one). Only test/helpers and
 * the SDK are imported, so the same file runs in a checkout of an older commit.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { defaultPayloadConverter, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { testEnv } from '../helpers/env.js';
import { readTag, taggedImage } from '../helpers/images.js';
import type { StubAction } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { historyToJSON } from './history-json.js';

const outDir = process.env.HISTORIES_DIR ?? fileURLToPath(new URL('./histories/', import.meta.url));
const prefix = process.env.HISTORY_PREFIX ?? '';

/** Tag → crashes left: the worker "dies" after the model answered that page, before it is saved. */
const crashes = new Map<number, number>();

let stack: Stack;
let connection: Connection;
let client: Client;
/** Webhook requests answered 500 while above 0, then 200 (a receiver without checks: older checkouts have no helper for one). */
let receiverFailures = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(receiverFailures-- > 0 ? 500 : 200).end());
});
before(async () => {
  await mkdir(outDir, { recursive: true });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // Batches of 2, one model call at a time: the window is 3 batches (batchWindow for one worker).
  stack = await startStack({
    env: {
      PDF_DPI: '72', BATCH_SIZE: '2', CONCURRENCY: '1', MAX_RETRIES: '2',
      // A fixed secret: older checkouts ignore these variables.
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_PROGRESS_INTERVAL: '1',
    },
    wrapVision: (vision) => ({
      async recognize(image, options) {
        const reply = await vision.recognize(image, options);
        const tag = await readTag(image.data);
        const left = crashes.get(tag) ?? 0;
        if (left > 0) {
          crashes.set(tag, left - 1);
          throw new Error('simulated worker crash after the model answered');
        }
        return reply;
      },
    }),
  });
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection, namespace: stack.config.temporal.namespace });
});
after(async () => {
  await connection?.close();
  await stack?.stop();
  receiver.close();
});

const tags = (n: number, first: number) => Array.from({ length: n }, (_, i) => first + i);

async function submit(kind: 'image' | 'pdf', bytes: Buffer, fileName: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/${kind}`, bytes, fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

const submitPdf = (pageTags: number[], name: string) => submit('pdf', makePdf(pageTags), `${name}.pdf`);

async function finished(taskId: string, status: string): Promise<void> {
  assert.equal((await waitForTask(stack, taskId)).status, status);
  // The row is written by the run's last activity; the run closes a moment later.
  await client.workflow.getHandle(taskId).result().catch(() => undefined);
}

/** The run's history as the SDK's JSON (the shape `temporal workflow show --output json` prints). */
async function save(name: string, taskId: string, runId?: string): Promise<void> {
  const file = path.join(outDir, `${prefix}${name}.json`);
  assert.ok(!existsSync(file), `${file} exists: keep it, and record under another HISTORY_PREFIX`);
  const history = await client.workflow.getHandle(taskId, runId).fetchHistory();
  await writeFile(file, historyToJSON(history));
  console.log(`# ${path.relative(process.cwd(), file)}: ${history.events?.length ?? 0} events`);
}

const fail = (status: number, message?: string): StubAction => ({ kind: 'status', status, ...(message ? { message } : {}) });

/** Each scenario runs one task and saves the histories of its runs. */
const scenarios: Record<string, () => Promise<void>> = {
  /** One page, one batch, the window never fills. */
  async image() {
    const id = await submit('image', await taggedImage(1), 'page.png');
    await finished(id, 'completed');
    await save('image', id);
  },

  /**
   * Eight pages in four batches, so the window fills and the capacity is measured; one page's model
   * call fails once with a 503 (retried inside its batch), and one batch's worker crashes after the
   * model answered (the batch is retried by Temporal, attempt 2).
   */
  async 'pdf-retry'() {
    stack.stub.script([fail(503, 'overloaded')], 12);
    crashes.set(15, 1);
    const id = await submitPdf(tags(8, 11), 'retry');
    await finished(id, 'completed');
    assert.equal(crashes.get(15), 0, 'the crash was injected');
    await save('pdf-retry', id);
  },

  /**
   * Cancelled while its first page hangs at the model and the window is full (the workflow waits for
   * a slot): the running batches acknowledge, then the task is recorded as cancelled.
   */
  async 'pdf-cancelled'() {
    stack.stub.script([{ kind: 'hang' }], 21);
    const id = await submitPdf(tags(10, 21), 'cancelled');
    await eventually(() => Promise.resolve(stack.stub.callsFor(21).length > 0 ? true : undefined), 'the first page to reach the model');
    const res = await fetch(`${stack.api}/api/tasks/${id}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    await finished(id, 'cancelled');
    await save('pdf-cancelled', id);
  },

  /** A bad key (401) on the first page: TaskFatalError, the two other batches finish, nothing more is scheduled. */
  async 'pdf-fatal'() {
    stack.stub.script([fail(401, 'Incorrect API key provided')], 31);
    const id = await submitPdf(tags(10, 31), 'fatal');
    await finished(id, 'failed');
    await save('pdf-fatal', id);
  },

  /** A batch whose worker crashes on every attempt (MAX_RETRIES 2 = two attempts) gives up: batch_failed. */
  async 'pdf-batch-gives-up'() {
    crashes.set(43, 2);
    const id = await submitPdf(tags(4, 41), 'gives-up');
    await finished(id, 'failed');
    await save('pdf-batch-gives-up', id);
  },

  /** A page that fails both attempts (partial), then POST /retry: a second run under the same workflow id. */
  async 'pdf-retried'() {
    stack.stub.script([fail(502, 'bad gateway'), fail(502, 'bad gateway')], 53);
    const id = await submitPdf(tags(4, 51), 'retried');
    await finished(id, 'partial');
    const { runId: firstRun } = await client.workflow.getHandle(id).describe();
    const res = await fetch(`${stack.api}/api/tasks/${id}/retry`, { method: 'POST' });
    assert.equal(res.status, 202);
    await eventually(async () => ((await client.workflow.getHandle(id).describe()).runId !== firstRun ? true : undefined), 'the second run');
    await finished(id, 'completed');
    await save('pdf-partial', id, firstRun);
    await save('pdf-retried-run', id);
  },

  /**
   * Six pages with a webhook for every event: task.started, task.progress (at most one a second) and
   * task.completed, each a webhookDeliveryWorkflow of its own; the first delivery is answered 500
   * once (its activity retried). Saves the task's run and the first delivery's.
   */
  async 'pdf-webhooks'() {
    receiverFailures = 1;
    stack.stub.latencyMs = 300;
    const { port } = receiver.address() as AddressInfo;
    const form = new FormData();
    form.append('webhook_url', `http://127.0.0.1:${port}/hook`);
    form.append('webhook_events', 'task.started,task.progress,task.completed');
    form.append('file', new Blob([new Uint8Array(makePdf(tags(6, 71)))]), 'webhooks.pdf');
    const res = await fetch(`${stack.api}/api/async/pdf`, { method: 'POST', body: form });
    assert.equal(res.status, 200, await res.clone().text());
    const id = String(((await res.json()) as { task_id: string }).task_id);
    await finished(id, 'completed');
    stack.stub.latencyMs = 0;
    const history = await client.workflow.getHandle(id).fetchHistory();
    const children = (history.events ?? []).flatMap((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId ?? []);
    assert.ok(children.length >= 2, 'started and completed, at least');
    await client.workflow.getHandle(children[0]!).result();
    await save('pdf-webhooks', id);
    await save('webhook-delivery', children[0]!);
  },

  /**
   * Three pages completed, then page 2 read again on its own (POST …/pages/2/retry): a second run
   * under the same workflow id with `pages: [2]` and `fresh: true`. Saves that run.
   */
  async 'pdf-page-retry'() {
    const id = await submitPdf(tags(3, 81), 'page-retry');
    await finished(id, 'completed');
    const res = await fetch(`${stack.api}/api/tasks/${id}/pages/2/retry`, { method: 'POST' });
    assert.equal(res.status, 202, await res.text());
    await finished(id, 'completed');
    const handle = client.workflow.getHandle(id);
    const { runId } = await handle.describe();
    await save('pdf-page-retry', id, runId);
  },

  /**
   * One retention run, as the ocr-retention schedule starts it (the schedule's own run would start
   * only at 03:00): RETENTION_DAYS 30, deleting nothing that recent tasks use.
   */
  async retention() {
    const handle = await client.workflow.start('retentionWorkflow', {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId: `retention-${Date.now()}`,
      args: [{ retentionDays: 30 }],
    });
    await handle.result();
    await save('retention', handle.workflowId);
  },

  /**
   * One-off for a checkout older than 1125e9d (not in the default list): a run started with the
   * search attributes, as an API of 1125e9d or later starts it, on a worker that does not upsert
   * them. That mixed deploy is what `patched('ocr-status-search-attribute')` exists for.
   */
  async 'image-started-with-attributes'() {
    const id = await submit('image', await taggedImage(61), 'started-with-attributes.png');
    await finished(id, 'completed');
    // Spelt out here: a checkout that old has no src/workflows/search-attributes.ts.
    const status = defineSearchAttributeKey('OcrStatus', SearchAttributeType.KEYWORD);
    const taskType = defineSearchAttributeKey('OcrTaskType', SearchAttributeType.KEYWORD);
    const fileName = defineSearchAttributeKey('OcrFileName', SearchAttributeType.TEXT);
    const pageCount = defineSearchAttributeKey('OcrPageCount', SearchAttributeType.INT);
    const keys = [status, taskType, fileName, pageCount];
    try {
      await connection.operatorService.addSearchAttributes({
        namespace: stack.config.temporal.namespace,
        searchAttributes: Object.fromEntries(keys.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
      });
    } catch (err) {
      if (!isGrpcServiceError(err)) throw err; // already registered (a newer dev server does it)
    }
    // The same input again, in a second run (the page is already stored: the batch skips it).
    const first = await client.workflow.getHandle(id).fetchHistory();
    const [payload] = first.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const input = defaultPayloadConverter.fromPayload(payload!);
    const handle = await client.workflow.start('ocrTaskWorkflow', {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId: id,
      args: [input],
      typedSearchAttributes: [
        { key: status, value: 'pending' }, { key: taskType, value: 'image_ocr' },
        { key: fileName, value: 'started-with-attributes.png' }, { key: pageCount, value: 1 },
      ],
    });
    await handle.result();
    await save('image-started-with-attributes', id, handle.firstExecutionRunId);
  },
};

const ONE_OFFS = new Set(['image-started-with-attributes']);
const chosen = process.env.RECORD?.split(',').map((s) => s.trim()).filter(Boolean) ?? Object.keys(scenarios).filter((s) => !ONE_OFFS.has(s));
for (const name of chosen) {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  test(name, scenario);
}
