/**
 * The one owner of a task's life on the API side: submit, retry, cancel, delete, and the recovery of
 * tasks whose run was never started. Routes call these; the run's own writes (started, pages,
 * outcome) are in record.ts, called by the activities. Refusals are TaskRefusal errors with a code
 * (api/http/errors.ts gives each its HTTP status); anything else is a fault.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { isFinalStatus, RETRYABLE_STATUSES, type TaskOptions, type TaskType, type TaskWarning } from '../contract/index.js';
import { storeFile } from '../store/files.js';
import { resetPageForRetry } from '../store/pages.js';
import type { Pool } from '../store/pool.js';
import { deleteTask, findStrandedTasks, insertTask, resetForRetry, type TaskRow } from '../store/tasks.js';
import { recordOutcome } from './record.js';
import { cancelRun, runInput, startRun, waitForRunToClose, type RunOnly, type RunTask } from './runs.js';

/** Why the lifecycle refused a request; the message is for a person (Chinese first, as clients expect). */
export type TaskRefusalCode = 'temporal_unavailable' | 'task_not_running' | 'task_not_retryable' | 'task_not_finished' | 'previous_run_active';

export class TaskRefusal extends Error {
  constructor(readonly code: TaskRefusalCode, message: string) {
    super(message);
    this.name = 'TaskRefusal';
  }
}

/** A received file, already checked (type by its bytes, size, pages). */
export interface SubmittedFile {
  /** A local temp file: its bytes are stored in Postgres, where every worker can read them. */
  path: string;
  fileName: string;
  size: number;
  sha256: string;
  mimeType: string;
}

export interface SubmitSpec {
  taskType: TaskType;
  totalPages: number;
  /** Which route took it, kept in metadata. */
  source: string;
  /** What was noticed about the file at upload (a PDF mupdf repaired). */
  warnings: TaskWarning[];
  /** What the caller chose for it (checked by the route). */
  options: TaskOptions;
  /** What else the route keeps with the task beside `source` (the Azure routes: the answer asked for). */
  metadata?: Record<string, unknown>;
}

export interface TaskLifecycle {
  /** Stores the file and the task and starts its run; the new task's id. */
  submit(file: SubmittedFile, spec: SubmitSpec): Promise<string>;
  /** A new run for the pages without content; how many pages that is. */
  retry(task: TaskRow): Promise<number>;
  /** A new run for one page of a finished task, whatever its result was (read afresh by the model). */
  retryPage(task: TaskRow, pageNumber: number): Promise<void>;
  cancel(task: TaskRow): Promise<void>;
  /** Cancels a running task's run, then deletes the task (its pages, and its file unless shared). */
  remove(task: TaskRow): Promise<void>;
  /** Starts the runs of tasks left `pending` for `olderThanSeconds`; how many it started. */
  recoverStranded(olderThanSeconds?: number): Promise<number>;
}

export interface LifecycleDeps { pool: Pool; temporal: Client; config: Config; log: Logger }

const isAlreadyStarted = (err: unknown) => err instanceof WorkflowExecutionAlreadyStartedError;

export function createTaskLifecycle({ pool, temporal, config, log }: LifecycleDeps): TaskLifecycle {
  /** A first start: a run already open for the task (a second start of the same task) is fine. */
  async function startFirstRun(task: RunTask): Promise<void> {
    try {
      await startRun(temporal, config, task);
    } catch (err) {
      if (!isAlreadyStarted(err)) throw err;
    }
  }

  /** Asks the task's run to stop; a task without a run (never started) is cancelled at once. */
  async function stopRun(task: TaskRow): Promise<void> {
    if (!(await cancelRun(temporal, task.id))) await recordOutcome(pool, task.id, { kind: 'cancelled' });
  }

  const notRunning = (task: TaskRow) => isFinalStatus(task.status);
  const busy = () => new TaskRefusal('previous_run_active', '上一次运行尚未结束，请稍后重试 (the previous run has not finished; try again shortly)');

  /**
   * A run after the task's first, under the same workflow id. Should Temporal refuse it (down), the
   * task stays pending and recoverStranded starts it later: no page is lost either way.
   */
  async function startRetryRun(task: TaskRow, only?: RunOnly): Promise<void> {
    try {
      await startRun(temporal, config, task, only);
    } catch (err) {
      // Another retry won the race: its run is already doing this work.
      if (isAlreadyStarted(err)) throw busy();
      throw err;
    }
  }

  return {
    async submit(file, spec) {
      const id = randomUUID();
      const { batchSize } = runInput(config, { id, total_pages: spec.totalPages, options: spec.options });
      await storeFile(pool, file.path, { sha256: file.sha256, sizeBytes: file.size, mimeType: file.mimeType });
      await insertTask(pool, {
        id,
        taskType: spec.taskType,
        fileName: file.fileName,
        fileSize: file.size,
        fileSha256: file.sha256,
        mimeType: file.mimeType,
        totalPages: spec.totalPages,
        metadata: {
          // The route's extras first: they never replace what every task has.
          ...spec.metadata,
          source: spec.source, original_filename: file.fileName, file_type: file.mimeType, total_pages: spec.totalPages,
          batch_size: batchSize,
        },
        warnings: spec.warnings,
        options: spec.options,
      });
      try {
        await startFirstRun({ id, task_type: spec.taskType, file_name: file.fileName, total_pages: spec.totalPages, options: spec.options });
      } catch (err) {
        log.error({ err, taskId: id }, 'could not start the task workflow');
        const message = 'The task could not be queued because Temporal is unreachable; submit it again later';
        await recordOutcome(pool, id, { kind: 'error', code: 'temporal_unavailable', message });
        throw new TaskRefusal('temporal_unavailable', message);
      }
      log.info({ taskId: id, taskType: spec.taskType, pages: spec.totalPages, size: file.size }, 'task submitted');
      return id;
    },

    async retry(task) {
      if (!(RETRYABLE_STATUSES as readonly string[]).includes(task.status)) {
        throw new TaskRefusal('task_not_retryable', `只能重试部分失败或失败的任务 (only partial or failed tasks can be retried; this one is ${task.status})`);
      }
      const failedPages = task.total_pages - task.processed_pages;
      // Checked before anything changes, so a refused retry leaves the task retryable.
      if (!(await waitForRunToClose(temporal, task.id))) throw busy();
      await resetForRetry(pool, task.id);
      // A new run under the same workflow id; the page checkpoint skips every completed page.
      await startRetryRun(task);
      log.info({ taskId: task.id, failedPages }, 'task retry started');
      return failedPages;
    },

    async retryPage(task, pageNumber) {
      const running = () => new TaskRefusal('task_not_finished', `任务仍在运行，结束后才能重试单页 (the task is ${task.status}; retry a page once it has finished)`);
      if (!isFinalStatus(task.status)) throw running();
      if (!(await waitForRunToClose(temporal, task.id))) throw busy();
      // Another retry may have started meanwhile: the reset then finds the task pending and changes nothing.
      if (!(await resetPageForRetry(pool, task.id, pageNumber))) throw running();
      await startRetryRun(task, { pages: [pageNumber] });
      log.info({ taskId: task.id, pageNumber }, 'page retry started');
    },

    async cancel(task) {
      if (notRunning(task)) throw new TaskRefusal('task_not_running', `任务已结束，无法取消 (the task is ${task.status})`);
      await stopRun(task);
      log.info({ taskId: task.id }, 'task cancellation requested');
    },

    async remove(task) {
      if (!notRunning(task)) await stopRun(task);
      await deleteTask(pool, task.id);
      log.info({ taskId: task.id }, 'task deleted');
    },

    /**
     * Tasks left `pending` by an API that died between storing a task and starting it (the old
     * service left such tasks pending forever). Safe from every API replica at once: a task whose
     * run already started is skipped by Temporal.
     */
    async recoverStranded(olderThanSeconds = 60) {
      const stranded = await findStrandedTasks(pool, olderThanSeconds);
      for (const task of stranded) {
        await startFirstRun(task);
        log.warn({ taskId: task.id }, 'started the workflow of a task left pending');
      }
      return stranded.length;
    },
  };
}
