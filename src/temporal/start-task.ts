/** Starting the ocrTask workflow for a stored task: the API's only write to Temporal so far. */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { OCR_TASK_WORKFLOW, type OcrTaskInput } from '../workflows/types.js';

/** Worst case for one page attempt beyond the model timeout: backoff and rendering. */
const PAGE_OVERHEAD_MS = 60_000;

export function taskInput(config: Config, taskId: string, totalPages: number): OcrTaskInput {
  const batchSize = Math.min(config.pdf.batchSize, totalPages);
  return {
    taskId,
    totalPages,
    batchSize,
    // Enough batches to keep CONCURRENCY model calls busy plus one rendering ahead, and no more: the
    // rest of the workers' slots stay free for other tasks (a one-page image must not wait for a
    // 500-page PDF). The worker-wide limiter is FIFO, so a newcomer queues behind at most this much.
    maxBatchesInFlight: Math.ceil(config.vision.concurrency / batchSize) + 1,
    batchAttempts: config.vision.maxRetries,
    // Every page of the batch may wait its turn behind the others and retry to the end.
    batchTimeoutMs: batchSize * config.vision.maxRetries * (config.vision.timeoutMs + PAGE_OVERHEAD_MS),
  };
}

/** Idempotent: the workflow id is the task id, so a second start for the same task is a no-op. */
export async function startTaskWorkflow(client: Client, taskQueue: string, input: OcrTaskInput): Promise<void> {
  try {
    await client.workflow.start(OCR_TASK_WORKFLOW, { taskQueue, workflowId: input.taskId, args: [input] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
