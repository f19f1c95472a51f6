/** Types and constants shared by the workflow, the activities and the code that starts workflows. */

/** ApplicationFailure type for errors that doom the whole task (bad key, unknown model). */
export const TASK_FATAL_ERROR = 'TaskFatalError';

export const OCR_TASK_WORKFLOW = 'ocrTaskWorkflow';

/** Settings are captured when the task is submitted, so a replay never sees a changed config. */
export interface OcrTaskInput {
  taskId: string;
  totalPages: number;
  batchSize: number;
  /** Batches of this task running at once: keeps one huge PDF from filling every worker slot. */
  maxBatchesInFlight: number;
  /** Attempts of a whole batch (Temporal retries), on top of the page retries inside it. */
  batchAttempts: number;
  /** Upper bound for one batch attempt; heartbeats detect dead workers much sooner. */
  batchTimeoutMs: number;
}

export interface OcrTaskResult { status: 'completed' | 'partial' | 'failed' | 'cancelled' }

/** The task statuses as the workflow sees them (the same words as the tasks table). */
export type OcrTaskStatus = 'pending' | 'processing' | OcrTaskResult['status'];

/** What progressQuery answers: the workflow's own view, from the batches that have reported. */
export interface OcrTaskProgress {
  status: OcrTaskStatus;
  total: number;
  /** Pages stored as completed by batches that have finished (pages of running batches not yet). */
  done: number;
  /** Pages recorded as failed by finished batches, plus the pages of batches that gave up. */
  failed: number;
  totalBatches: number;
  finishedBatches: number;
  inFlightBatches: number;
}

/** Page numbers 1..total cut into consecutive batches of `size`. */
export function splitIntoBatches(total: number, size: number): number[][] {
  const batches: number[][] = [];
  for (let first = 1; first <= total; first += size) {
    batches.push(Array.from({ length: Math.min(size, total - first + 1) }, (_, i) => first + i));
  }
  return batches;
}
