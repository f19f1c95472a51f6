/** ocrTaskWorkflow: one OCR task (image or PDF) as batches of pages, with bounded fan-out. */
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, condition, defineQuery, isCancellation, log,
  patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { OCR_STATUS } from './search-attributes.js';
import { batchWindow, inputPages, splitIntoBatches, TASK_FATAL_ERROR, type OcrTaskInput, type OcrTaskProgress, type OcrTaskResult } from './types.js';
import { finalEventOf, type TaskStatus } from '../contract/index.js';
import { createNotifier, type Notifier } from './notify.js';

const { startTask, finishTask } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Bookkeeping against Postgres: keep trying through a database restart.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 50 },
});

// A local activity: a quick question to the Temporal frontend from this worker, recorded in history
// (so replay sees the same answer) without a trip through the task queue or an activity slot.
const { measureCapacity } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  // The window just stays as it was when Temporal cannot say.
  retry: { maximumAttempts: 2 },
});

/**
 * How often a task waiting for a batch slot re-reads the capacity (workflow time): a worker added
 * while a 500-page PDF runs gets its batches within this long.
 */
const CAPACITY_CHECK_MS = 30_000;

/** The task's progress as this run sees it (`temporal workflow query --type progress`). */
export const progressQuery = defineQuery<OcrTaskProgress>('progress');

/** Runs every page of the task through the model and records the outcome. Workflow id = task id. */
export async function ocrTaskWorkflow(input: OcrTaskInput): Promise<OcrTaskResult> {
  const { ocrBatch } = proxyActivities<Activities>({
    startToCloseTimeout: input.batchTimeoutMs,
    heartbeatTimeout: '20 seconds',
    // On cancel, wait until the batch has really stopped (its model calls aborted) before the task
    // is recorded as cancelled: "cancelled" then means no call is running any more.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: input.batchAttempts,
      nonRetryableErrorTypes: [TASK_FATAL_ERROR],
    },
  });

  const batches = splitIntoBatches(inputPages(input), input.batchSize);
  const progress: OcrTaskProgress = {
    status: 'pending', total: input.totalPages, done: 0, failed: 0, totalBatches: batches.length, finishedBatches: 0, inFlightBatches: 0,
  };
  setHandler(progressQuery, () => ({ ...progress }));
  // Upsert OcrStatus only in runs that were started with it: a server where the attribute is not
  // registered (the API then starts runs without it) would reject the upsert and fail every workflow
  // task. `patched` keeps runs that an older worker began (no upserts in their history) replaying.
  const searchable = workflowInfo().typedSearchAttributes.get(OCR_STATUS) !== undefined && patched('ocr-status-search-attribute');
  const setStatus = (status: TaskStatus) => {
    progress.status = status;
    if (searchable) upsertSearchAttributes([{ key: OCR_STATUS, value: status }]);
  };

  // Runs begun by an older worker kept their starting window throughout; `patched` keeps them
  // replaying (no capacity checks in their history).
  const followCapacity = patched('window-follows-capacity');
  let maxInFlight = input.maxBatchesInFlight;
  let checkedAt = -Infinity;
  let fatal: { code: string; message: string } | undefined;
  const mayStartBatch = () => progress.inFlightBatches < maxInFlight || fatal !== undefined;

  /** The window for the workers polling now; the current one if Temporal cannot say. */
  const measureWindow = async (): Promise<number> => {
    try {
      return batchWindow(await measureCapacity(), input.batchSize);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not measure the capacity; keeping the window', { taskId: input.taskId, maxInFlight, error: (err as Error).message });
      return maxInFlight;
    }
  };

  /**
   * Waits until another batch may start. While the window is full it re-reads the capacity (at once
   * the first time, then every CAPACITY_CHECK_MS), so the window grows with workers added mid-task
   * and shrinks with workers gone. A window too large for a while (a worker gone but still listed)
   * costs little: the extra batches wait in the task queue or on a worker (heartbeating, served in
   * turn with other tasks by its limiter); they never fail for waiting.
   */
  const waitForBatchSlot = async (): Promise<void> => {
    if (!followCapacity) return condition(mayStartBatch);
    while (!mayStartBatch()) {
      const sinceCheck = Date.now() - checkedAt;
      if (sinceCheck >= CAPACITY_CHECK_MS) {
        maxInFlight = await measureWindow();
        checkedAt = Date.now();
      } else {
        await condition(mayStartBatch, CAPACITY_CHECK_MS - sinceCheck);
      }
    }
  };

  const running: Promise<void>[] = [];
  let notifier: Notifier = createNotifier(input.taskId, undefined);
  try {
    // Runs from before webhooks recorded no answer here: they raise nothing, as they did.
    const started = await startTask(input.taskId);
    notifier = createNotifier(input.taskId, started?.webhooks);
    setStatus('processing');
    notifier.raise('task.started');
    let batchError: string | undefined;

    for (const pages of batches) {
      await waitForBatchSlot();
      // After a fatal error (bad key…) no other page can succeed: schedule nothing more.
      if (fatal) break;
      progress.inFlightBatches++;
      running.push(
        ocrBatch({ taskId: input.taskId, pages, ...(input.fresh ? { fresh: true } : {}) })
          .then((result) => {
            progress.done += result.completed + result.skipped;
            progress.failed += result.failed;
            // The last batch's progress is the final event's to tell.
            if (progress.done + progress.failed < progress.total) notifier.progress({ done: progress.done, failed: progress.failed });
          })
          .catch((err: unknown) => {
            if (isCancellation(err)) throw err;
            const cause = err instanceof ActivityFailure ? err.cause : undefined;
            if (cause instanceof ApplicationFailure && cause.type === TASK_FATAL_ERROR) {
              const kind = typeof cause.details?.[0] === 'string' ? cause.details[0] : 'fatal';
              fatal ??= { code: kind, message: cause.message };
            } else {
              // Retries exhausted (database down for long, repeated crashes): those pages stay
              // unfinished and count as failed; the other batches go on.
              batchError ??= (cause ?? (err as Error)).message;
              progress.failed += pages.length;
              log.warn('batch gave up', { taskId: input.taskId, pages, error: batchError });
            }
          })
          .finally(() => {
            progress.inFlightBatches--;
            progress.finishedBatches++;
          }),
      );
    }
    await Promise.all(running);
    // A batch that gave up leaves its pages without a result: the outcome counts them as failed
    // (partial when other pages have content), with the batch's error as their reason.
    const status = await finishTask({ taskId: input.taskId, error: fatal, unfinished: batchError });
    setStatus(status);
    // Raised once the status is recorded: a receiver that fetches the task sees its outcome.
    notifier.raise(finalEventOf(status));
    await notifier.started();
    return { status };
  } catch (err) {
    if (isCancellation(err)) {
      // Every batch has to acknowledge the cancellation (its model calls aborted) before the task is
      // recorded as cancelled; recording must happen although the workflow itself is cancelled.
      await Promise.allSettled(running);
      await CancellationScope.nonCancellable(async () => {
        await finishTask({ taskId: input.taskId, cancelled: true });
        setStatus('cancelled');
        notifier.raise('task.cancelled');
        await notifier.started();
      });
    }
    throw err;
  }
}
