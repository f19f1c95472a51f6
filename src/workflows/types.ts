/** Types and constants shared by the workflow, the activities and the code that starts workflows. */
import type { FinalTaskStatus, TaskStatus, WebhookEvent } from '../contract/index.js';

/** ApplicationFailure type for errors that doom the whole task (bad key, unknown model). */
export const TASK_FATAL_ERROR = 'TaskFatalError';

export const OCR_TASK_WORKFLOW = 'ocrTaskWorkflow';

/** Settings are captured when the task is submitted, so a replay never sees a changed config. */
export interface OcrTaskInput {
  taskId: string;
  totalPages: number;
  /** The pages to read when not all of them (the task's `pages` option); absent: 1..totalPages. */
  pages?: number[];
  /**
   * Pages asked for again one by one (POST /api/tasks/{id}/pages/{n}/retry): the model reads them
   * afresh, never an earlier task's result for them copied instead (CACHE).
   */
  fresh?: boolean;
  batchSize: number;
  /**
   * Batches of this task running at once at first (one worker's worth): keeps one huge PDF from
   * filling every worker slot. The workflow then follows the workers polling (`batchWindow`).
   */
  maxBatchesInFlight: number;
  /** Attempts of a whole batch (Temporal retries), on top of the page retries inside it. */
  batchAttempts: number;
  /** Upper bound for one batch attempt; heartbeats detect dead workers much sooner. */
  batchTimeoutMs: number;
}

export interface OcrTaskResult { status: FinalTaskStatus }

/** What startTask tells a run (recorded in its history, so a replay raises the same events). */
export interface StartedTask {
  /** Absent: the task has no webhook (and runs from before webhooks recorded nothing). */
  webhooks?: WebhookPlan;
}

/** Which events a run raises, how often progress, and how long each delivery keeps trying. */
export interface WebhookPlan { events: WebhookEvent[]; progressIntervalMs: number; retryMs: number }

/** The task queue of webhook activities, beside the task's own: worker.ts polls both. */
export const webhookTaskQueue = (taskQueue: string) => `${taskQueue}-webhooks`;

/** One event of a task, delivered by a workflow of its own (webhook-delivery.ts). */
export interface WebhookDeliveryInput {
  taskId: string;
  /** The webhook-id of every attempt. */
  eventId: string;
  type: WebhookEvent;
  /** Workflow time of the event (epoch ms): its payload's timestamp, and where the retry window starts. */
  occurredAt: number;
  retryMs: number;
  /** task.progress: the pages done and failed as the run counted them when raising it (the task row may be further along by the time the body is made). */
  pages?: { done: number; failed: number };
}

/** ApplicationFailure type of a delivery that must not be tried again (a 4xx, a refused address, the window over). */
export const WEBHOOK_REFUSED = 'WebhookRefused';

/** What progressQuery answers: the workflow's own view, from the batches that have reported. */
export interface OcrTaskProgress {
  status: TaskStatus;
  total: number;
  /** Pages stored as completed by batches that have finished (pages of running batches not yet). */
  done: number;
  /** Pages recorded as failed by finished batches, plus the pages of batches that gave up. */
  failed: number;
  totalBatches: number;
  finishedBatches: number;
  inFlightBatches: number;
}

/** The model-call capacity on the task queue as one worker sees it: the basis of a task's window. */
export interface Capacity {
  /** Workers polling the task queue for activities (at least the one answering). */
  workers: number;
  /** Model calls each runs at once: the answering worker's CONCURRENCY, assumed the same for all. */
  concurrency: number;
}

/**
 * Batches of one task in flight at once: per worker, enough to keep its CONCURRENCY model calls busy
 * plus one getting ready, and one more for the task (starting a batch and rendering its first pages
 * takes about a second under load; with only one ahead in all, the model sat idle at every other
 * batch boundary). The spare is per worker because Temporal hands a batch to whichever worker polls
 * first, so one worker may hold more than its share for a while. No more than
 * that: the rest of the workers' activity slots (CONCURRENCY + 2 each) stay free for other tasks,
 * and the limiter on each worker serves tasks round-robin, so a newcomer never queues behind the
 * pages a large task has waiting. For one worker this is ceil(CONCURRENCY / BATCH_SIZE) + 2.
 */
export function batchWindow({ workers, concurrency }: Capacity, batchSize: number): number {
  return workers * (Math.ceil(concurrency / batchSize) + 1) + 1;
}

/** Page numbers 1..total cut into consecutive batches of `size`. */
export function splitIntoBatches(pages: readonly number[], size: number): number[][] {
  const batches: number[][] = [];
  for (let first = 0; first < pages.length; first += size) batches.push(pages.slice(first, first + size));
  return batches;
}

/** The pages a run reads: those its input names, or all of them. */
export const inputPages = (input: Pick<OcrTaskInput, 'totalPages' | 'pages'>): number[] =>
  input.pages ?? Array.from({ length: input.totalPages }, (_, i) => i + 1);

export const RETENTION_WORKFLOW = 'retentionWorkflow';

/**
 * The schedule that runs retentionWorkflow daily, one per task queue: `ocr-retention` for the
 * default queue, and deployments (or tests) sharing a namespace keep apart.
 */
export const retentionScheduleId = (taskQueue: string) => `${taskQueue}-retention`;

/** What a retention run deletes: kept in the schedule's action, so the Web UI shows it. */
export interface RetentionInput {
  /** Tasks finished more than this many days ago go (RETENTION_DAYS); 0 keeps every task. */
  retentionDays: number;
}

/** What a retention run deleted: the workflow's result, and what `ocr retention run` prints. */
export interface RetentionReport { tasks: number; pages: number; files: number; bytes: number }
