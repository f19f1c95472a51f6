/**
 * ocrTaskWorkflow's own logic, with mocked activities and no database: the fan-out window, a fatal
 * error, a batch that gives up, cancellation. The workflow bundle is the one `npm test` builds, run
 * by a worker on a fresh task queue per test against the shared Temporal dev server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import type { ocrTaskWorkflow } from '../../src/workflows/index.js';
import type { OcrTaskInput, OcrTaskProgress } from '../../src/workflows/types.js';
import { testEnv } from '../helpers/env.js';
import { eventually } from '../helpers/eventually.js';

// The names below are written out, not imported: they are recorded in every history, so a rename
// is a breaking change this file should notice.
const WORKFLOW_TYPE = 'ocrTaskWorkflow';
const PROGRESS_QUERY = 'progress';
const TASK_FATAL_ERROR = 'TaskFatalError';

type MockActivities = Pick<Activities, 'startTask' | 'ocrBatch' | 'measureCapacity' | 'finishTask'>;
type Handle = WorkflowHandle<typeof ocrTaskWorkflow>;

// Before the first connection: the workflow's own warnings (a batch gave up) are expected here.
Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
before(async () => {
  // The shared dev server: the time-skipping server would be a download.
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: testEnv.temporalAddress });
});
after(() => env?.teardown());

function taskInput(overrides: Partial<OcrTaskInput> = {}): OcrTaskInput {
  return { taskId: randomUUID(), totalPages: 10, batchSize: 1, maxBatchesInFlight: 3, batchAttempts: 2, batchTimeoutMs: 60_000, ...overrides };
}

/** Runs the task's workflow with `activities` on a worker of its own; `act` drives it while the worker runs. */
async function withWorkflow<T>(activities: MockActivities, input: OcrTaskInput, act: (handle: Handle) => Promise<T>): Promise<T> {
  const taskQueue = `workflow-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: testEnv.workflowBundlePath },
    activities,
    // Cancellation reaches an activity in the answer to a heartbeat: send them at once.
    maxHeartbeatThrottleInterval: '100 milliseconds',
    defaultHeartbeatThrottleInterval: '100 milliseconds',
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof ocrTaskWorkflow>(WORKFLOW_TYPE, { taskQueue, workflowId: input.taskId, args: [input] });
    return act(handle);
  });
}

/** A short bound and a quick poll, so a broken workflow fails fast. */
const until = <T>(check: () => Promise<T | undefined> | T | undefined, what: string) => eventually(check, what, 10_000, 50);

/**
 * The activities Temporal holds for the run once its workflow has no task pending, by type: all the
 * workflow has decided to schedule so far, started or not. The server's view, not the workflow's.
 */
function pendingActivities(handle: Handle): Promise<string[]> {
  return until(async () => {
    const { raw } = await handle.describe();
    if (raw.pendingWorkflowTask) return undefined;
    return (raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '?').sort();
  }, 'the workflow to finish its workflow task');
}

const scheduledBatches = async (handle: Handle) => (await pendingActivities(handle)).filter((name) => name === 'ocrBatch').length;

/**
 * Holds mocked batches until the test opens it. A held batch also ends when its activity is
 * cancelled: a test that fails while batches are held then stops its worker instead of hanging.
 */
function gate(): { pass: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { pass: () => Promise.race([opened, Context.current().cancelled]), open };
}

/** Mocked activities that record what the workflow asked for; `batch` decides each ocrBatch attempt. */
function createMocks(batch: (pages: number[]) => Promise<{ completed: number; failed: number; skipped: number }>, capacity = { workers: 1, concurrency: 1 }) {
  const record = {
    events: [] as string[],
    /** First page of each ocrBatch attempt, in the order they started. */
    started: [] as number[],
    inFlight: 0,
    /** Most ocrBatch attempts running at once. */
    peak: 0,
    capacityChecks: 0,
    finished: [] as unknown[],
  };
  const activities: MockActivities = {
    startTask: (taskId) => {
      record.events.push(`start ${taskId}`);
      return Promise.resolve({});
    },
    async ocrBatch({ pages }) {
      record.started.push(pages[0]!);
      record.peak = Math.max(record.peak, ++record.inFlight);
      try {
        return await batch(pages);
      } finally {
        record.inFlight--;
      }
    },
    measureCapacity: () => {
      record.capacityChecks++;
      return Promise.resolve(capacity);
    },
    finishTask: (input) => {
      record.events.push('finishTask');
      record.finished.push(input);
      return Promise.resolve(input.cancelled ? 'cancelled' : input.error ? 'failed' : input.unfinished ? 'partial' : 'completed');
    },
  };
  return { activities, record };
}

const ok = (pages: number[]) => ({ completed: pages.length, failed: 0, skipped: 0 });
const pageNumbers = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('the fan-out window', () => {
  test('never more batches at once than maxBatchesInFlight while the workers stay the same', async () => {
    const input = taskInput({ totalPages: 10, batchSize: 1, maxBatchesInFlight: 3 });
    const release = gate();
    // One worker of CONCURRENCY 1 with batches of 1: batchWindow is 3, the starting window.
    const { activities, record } = createMocks(async (pages) => {
      await release.pass();
      return ok(pages);
    });
    const result = await withWorkflow(activities, input, async (handle) => {
      await until(() => (record.started.length >= 3 ? true : undefined), 'three batches to start');
      assert.equal(await scheduledBatches(handle), 3);
      // Asked in the workflow task that scheduled them, once the window was full.
      assert.equal(record.capacityChecks, 1);
      release.open();
      return handle.result();
    });
    assert.deepEqual(result, { status: 'completed' });
    assert.equal(record.peak, 3);
    assert.deepEqual([...record.started].sort((a, b) => a - b), pageNumbers(10), 'every batch once');
    assert.deepEqual(record.finished, [{ taskId: input.taskId }]);
  });

  test('widens when measureCapacity reports more workers, and holds the wider window', async () => {
    const input = taskInput({ totalPages: 14, batchSize: 1, maxBatchesInFlight: 3 });
    const release = gate();
    // Three workers of CONCURRENCY 1: batchWindow is 3 × (1 + 1) + 1 = 7.
    const { activities, record } = createMocks(async (pages) => {
      await release.pass();
      return ok(pages);
    }, { workers: 3, concurrency: 1 });
    const result = await withWorkflow(activities, input, async (handle) => {
      await until(() => (record.started.length >= 7 ? true : undefined), 'seven batches to start');
      assert.equal(await scheduledBatches(handle), 7);
      release.open();
      return handle.result();
    });
    assert.deepEqual(result, { status: 'completed' });
    assert.equal(record.peak, 7);
    assert.deepEqual([...record.started].sort((a, b) => a - b), pageNumbers(14), 'every batch once');
  });
});

describe('batch errors', () => {
  test('a TaskFatalError stops scheduling; the running batches finish, then the task ends with the error', async () => {
    const input = taskInput({ totalPages: 10, batchSize: 1, maxBatchesInFlight: 3 });
    const release = gate();
    const { activities, record } = createMocks(async (pages) => {
      if (pages[0] === 1) {
        throw ApplicationFailure.create({ type: TASK_FATAL_ERROR, nonRetryable: true, message: 'Incorrect API key provided', details: ['auth_error'] });
      }
      await release.pass();
      record.events.push(`batch ${pages[0]} done`);
      return ok(pages);
    });
    const result = await withWorkflow(activities, input, async (handle) => {
      // The other two batches of the window are still running when the workflow hears of the error:
      // it waits for them, and neither schedules another batch nor finishes the task meanwhile.
      await until(async () => ((await handle.query<OcrTaskProgress>(PROGRESS_QUERY)).finishedBatches === 1 ? true : undefined), 'the fatal batch to be counted');
      assert.deepEqual(await pendingActivities(handle), ['ocrBatch', 'ocrBatch']);
      release.open();
      return handle.result();
    });
    assert.deepEqual(result, { status: 'failed' });
    assert.deepEqual([...record.started].sort((a, b) => a - b), [1, 2, 3], 'nothing scheduled after the fatal error; the fatal batch not retried');
    assert.deepEqual(record.events.slice(1).sort(), ['batch 2 done', 'batch 3 done', 'finishTask']);
    assert.equal(record.events.at(-1), 'finishTask', 'the task ends after the running batches');
    assert.deepEqual(record.finished, [{ taskId: input.taskId, error: { code: 'auth_error', message: 'Incorrect API key provided' } }]);
  });

  test('a batch that exhausts its attempts counts its pages as failed; the other batches go on', async () => {
    // Five batches of two pages, three at a time; batchAttempts 2 (the first retry comes after 2 s).
    const input = taskInput({ totalPages: 10, batchSize: 2, maxBatchesInFlight: 3, batchAttempts: 2 });
    const { activities, record } = createMocks((pages) => {
      if (pages[0] === 1) return Promise.reject(new Error('database is down'));
      if (pages[0] === 9) return Promise.resolve({ completed: 1, failed: 1, skipped: 0 });
      return Promise.resolve(ok(pages));
    });
    const progress = await withWorkflow(activities, input, async (handle) => {
      assert.deepEqual(await handle.result(), { status: 'partial' });
      return handle.query<OcrTaskProgress>(PROGRESS_QUERY);
    });
    assert.deepEqual([...record.started].sort((a, b) => a - b), [1, 1, 3, 5, 7, 9], 'the failing batch twice, every other once');
    // 3, 5, 7 completed 2 each, 9 one: 7 done; 9's failed page and the 2 pages of the batch that gave up: 3 failed.
    assert.deepEqual(progress, { status: 'partial', total: 10, done: 7, failed: 3, totalBatches: 5, finishedBatches: 5, inFlightBatches: 0 });
    // Not a task error: the outcome is decided from the pages (partial here, with 7 pages done).
    assert.deepEqual(record.finished, [{ taskId: input.taskId, unfinished: 'database is down' }]);
  });
});

describe('cancellation', () => {
  test('waits for every running batch to acknowledge before recording the task as cancelled', async () => {
    const input = taskInput({ totalPages: 10, batchSize: 1, maxBatchesInFlight: 3 });
    const { activities, record } = createMocks(async (pages) => {
      const ctx = Context.current();
      const heartbeat = setInterval(() => ctx.heartbeat(), 50);
      try {
        return await ctx.cancelled;
      } catch (err) {
        // Aborting its model calls takes the batch a moment; the task must not read cancelled before.
        await sleep(300);
        record.events.push(`batch ${pages[0]} acknowledged`);
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    });
    const progress = await withWorkflow(activities, input, async (handle) => {
      await until(() => (record.started.length === 3 ? true : undefined), 'three batches to start');
      assert.equal(await scheduledBatches(handle), 3);
      await handle.cancel();
      await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
      return handle.query<OcrTaskProgress>(PROGRESS_QUERY);
    });
    assert.deepEqual(record.events.slice(1, -1).sort(), ['batch 1 acknowledged', 'batch 2 acknowledged', 'batch 3 acknowledged']);
    assert.equal(record.events.at(-1), 'finishTask');
    assert.deepEqual(record.finished, [{ taskId: input.taskId, cancelled: true }]);
    assert.equal(record.started.length, 3, 'no batch started after the cancel');
    assert.equal(progress.status, 'cancelled');
  });
});
