/** ocrTaskWorkflow: one OCR task (image or PDF) as batches of pages, with bounded fan-out. */
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, log, proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { splitIntoBatches, TASK_FATAL_ERROR, type OcrTaskInput, type OcrTaskResult } from './types.js';

const { startTask, finishTask } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Bookkeeping against Postgres: keep trying through a database restart.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 50 },
});

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

  const running: Promise<void>[] = [];
  try {
    await startTask(input.taskId);
    let fatal: { code: string; message: string } | undefined;
    let batchError: string | undefined;
    let inFlight = 0;

    for (const pages of splitIntoBatches(input.totalPages, input.batchSize)) {
      await condition(() => inFlight < input.maxBatchesInFlight || fatal !== undefined);
      // After a fatal error (bad key…) no other page can succeed: schedule nothing more.
      if (fatal) break;
      inFlight++;
      running.push(
        ocrBatch({ taskId: input.taskId, pages })
          .then(() => undefined)
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
              log.warn('batch gave up', { taskId: input.taskId, pages, error: batchError });
            }
          })
          .finally(() => { inFlight--; }),
      );
    }
    await Promise.all(running);
    const error = fatal ?? (batchError ? { code: 'batch_failed', message: batchError } : undefined);
    return { status: await finishTask({ taskId: input.taskId, error }) };
  } catch (err) {
    if (isCancellation(err)) {
      // Every batch has to acknowledge the cancellation (its model calls aborted) before the task is
      // recorded as cancelled; recording must happen although the workflow itself is cancelled.
      await Promise.allSettled(running);
      await CancellationScope.nonCancellable(() => finishTask({ taskId: input.taskId, cancelled: true }));
    }
    throw err;
  }
}
