/**
 * A task's runs in Temporal: the workflow input a run gets, starting one, waiting for one to close,
 * cancelling the open one. The workflow id is the task id, so at most one run of a task is open.
 */
import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { TaskRow } from '../store/tasks.js';
import { initialSearchAttributes } from '../workflows/search-attributes.js';
import { batchWindow, OCR_TASK_WORKFLOW, type OcrTaskInput } from '../workflows/types.js';
import { taskPageNumbers } from './page-ranges.js';

/** Worst case for one page attempt beyond the model timeout: backoff and rendering. */
const PAGE_OVERHEAD_MS = 60_000;

/** A run of some pages only, read afresh (a page retried on its own). */
export interface RunOnly { pages: number[] }

/** The settings a run keeps for its whole life (a replay never sees a changed config). */
export function runInput(config: Config, task: Pick<TaskRow, 'id' | 'total_pages' | 'options'>, only?: RunOnly): OcrTaskInput {
  const totalPages = task.total_pages;
  const batchSize = Math.min(config.pdf.batchSize, only?.pages.length ?? totalPages);
  const attempts = config.vision.maxAttempts;
  return {
    taskId: task.id,
    totalPages,
    // Only when chosen: the input of an ordinary task stays as it was.
    ...(only ? { pages: only.pages, fresh: true } : task.options.pages ? { pages: taskPageNumbers(task) } : {}),
    batchSize,
    // One worker's worth to start with; once that many batches run, the workflow asks how many
    // workers poll the task queue and widens its window to match.
    maxBatchesInFlight: batchWindow({ workers: 1, concurrency: config.vision.concurrency }, batchSize),
    batchAttempts: attempts,
    // Every page of the batch may wait its turn behind the others and retry to the end.
    batchTimeoutMs: batchSize * attempts * (config.vision.timeoutMs + PAGE_OVERHEAD_MS),
  };
}

const GRPC_INVALID_ARGUMENT = 3;

/** The server refused the start because a search attribute is not registered in the namespace. */
function isUnknownSearchAttribute(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && Number(grpc.code) === GRPC_INVALID_ARGUMENT && /search attribute/i.test(grpc.details ?? grpc.message);
}

export type RunTask = Pick<TaskRow, 'id' | 'task_type' | 'file_name' | 'total_pages' | 'options'>;

/**
 * Starts a run of the task's workflow. A run already open for the task throws
 * WorkflowExecutionAlreadyStartedError: the caller decides whether that is fine (a second start of a
 * new task) or a conflict (a retry while the previous run still closes). The run carries the search
 * attributes that make it filterable in the Temporal Web UI; on a server where they are not
 * registered (and could not be: the API logged why at start-up) it starts without them rather than
 * not at all.
 */
export async function startRun(client: Client, config: Config, task: RunTask, only?: RunOnly): Promise<void> {
  const input = runInput(config, task, only);
  const options = { taskQueue: config.temporal.taskQueue, workflowId: task.id, args: [input] as [OcrTaskInput] };
  try {
    const fields = { taskType: task.task_type, fileName: task.file_name, totalPages: task.total_pages, model: task.options.model ?? config.vision.model };
    await client.workflow.start(OCR_TASK_WORKFLOW, { ...options, typedSearchAttributes: initialSearchAttributes(fields) });
  } catch (err) {
    if (!isUnknownSearchAttribute(err)) throw err;
    await client.workflow.start(OCR_TASK_WORKFLOW, options);
  }
}

/**
 * Whether the task's run has closed, waiting up to `waitMs`. A run records the task's outcome in its
 * last activity and closes a moment later: a new run started in between collides.
 */
export async function waitForRunToClose(client: Client, taskId: string, waitMs = 30_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    // How it ended (completed, failed, cancelled, or never existed) does not matter, only that it did.
    client.workflow.getHandle(taskId).result().then(() => true, () => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), waitMs); }),
  ]);
  clearTimeout(timer);
  return closed;
}

/**
 * Asks Temporal to cancel the task's open run; the run records `cancelled` once its batches have
 * stopped. False when the task has no run (it never started).
 */
export async function cancelRun(client: Client, taskId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(taskId).cancel();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
