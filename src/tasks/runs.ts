/** Starting the ocrTask workflow for a stored task: the API's only write to Temporal so far. */
import { isGrpcServiceError, ServiceError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Queryable } from '../store/pool.js';
import { findStrandedTasks } from '../store/tasks.js';
import { initialSearchAttributes, type TaskSearchFields } from '../workflows/search-attributes.js';
import { batchWindow, OCR_TASK_WORKFLOW, type OcrTaskInput } from '../workflows/types.js';

/** Worst case for one page attempt beyond the model timeout: backoff and rendering. */
const PAGE_OVERHEAD_MS = 60_000;

export function taskInput(config: Config, taskId: string, totalPages: number): OcrTaskInput {
  const batchSize = Math.min(config.pdf.batchSize, totalPages);
  return {
    taskId,
    totalPages,
    batchSize,
    // One worker's worth to start with; once that many batches run, the workflow asks how many
    // workers poll the task queue and widens its window to match.
    maxBatchesInFlight: batchWindow({ workers: 1, concurrency: config.vision.concurrency }, batchSize),
    batchAttempts: config.vision.maxRetries,
    // Every page of the batch may wait its turn behind the others and retry to the end.
    batchTimeoutMs: batchSize * config.vision.maxRetries * (config.vision.timeoutMs + PAGE_OVERHEAD_MS),
  };
}

/** Idempotent: the workflow id is the task id, so a second start for the same task is a no-op. */
export async function startTaskWorkflow(client: Client, taskQueue: string, input: OcrTaskInput, task: TaskSearchFields): Promise<void> {
  try {
    await restartTaskWorkflow(client, taskQueue, input, task);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Whether the task's workflow run has closed, waiting up to `waitMs`. A run records the task's
 * outcome in its last activity and closes a moment later: a new run started in between collides.
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

const GRPC_INVALID_ARGUMENT = 3;

/** The server refused the start because a search attribute is not registered in the namespace. */
function isUnknownSearchAttribute(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && Number(grpc.code) === GRPC_INVALID_ARGUMENT && /search attribute/i.test(grpc.details ?? grpc.message);
}

/**
 * Starts a run of the task's workflow; a run already open for the task throws (retry needs to know).
 * The run carries the search attributes that make it filterable in the Temporal Web UI; on a server
 * where they are not registered (and could not be: the API logged why at start-up) it starts
 * without them rather than not at all.
 */
export async function restartTaskWorkflow(client: Client, taskQueue: string, input: OcrTaskInput, task: TaskSearchFields): Promise<void> {
  const options = { taskQueue, workflowId: input.taskId, args: [input] as [OcrTaskInput] };
  try {
    await client.workflow.start(OCR_TASK_WORKFLOW, { ...options, typedSearchAttributes: initialSearchAttributes(task) });
  } catch (err) {
    if (!isUnknownSearchAttribute(err)) throw err;
    await client.workflow.start(OCR_TASK_WORKFLOW, options);
  }
}

/**
 * Starts the workflows of tasks left `pending` by an API that died between storing a task and
 * starting it (the seed left such tasks pending forever). Safe to run from every API replica at
 * once: starting is idempotent, and a task whose workflow already runs is skipped by Temporal.
 */
export async function startStrandedTasks(db: Queryable, client: Client, config: Config, log: Logger, olderThanSeconds = 60): Promise<number> {
  const stranded = await findStrandedTasks(db, olderThanSeconds);
  for (const task of stranded) {
    const fields = { taskType: task.task_type, fileName: task.file_name, totalPages: task.total_pages };
    await startTaskWorkflow(client, config.temporal.taskQueue, taskInput(config, task.id, task.total_pages), fields);
    log.warn({ taskId: task.id }, 'started the workflow of a task left pending');
  }
  return stranded.length;
}
