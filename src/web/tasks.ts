/**
 * What the page knows about each task, by id: filled from the REST list and kept current by
 * WebSocket messages. Cards listen for changes of their task.
 */
import { FINAL_TASK_STATUSES, TASK_STATUSES, type TaskOptions, type TaskStatus, type TaskSummary, type TaskType, type TaskWarning } from '../contract/index.js';
import type { LiveMessage } from './live.js';

/** The server's statuses, and `deleted`: the page heard the task is gone. */
export type PageTaskStatus = TaskStatus | 'deleted';
export const FINAL: ReadonlySet<PageTaskStatus> = new Set([...FINAL_TASK_STATUSES, 'deleted']);

export interface TaskState {
  id: string;
  taskType: TaskType;
  fileName: string;
  fileSize: number;
  status: PageTaskStatus;
  totalPages: number;
  processed: number;
  failed: number;
  /** Percent, as the server computes it (100 once finished, except cancelled). */
  progress: number;
  /** Pages per minute and seconds left, from task_progress; null until known. */
  rate: number | null;
  eta: number | null;
  error: string | null;
  /** What the server noticed about the file at upload (a PDF it had to repair). */
  warnings: TaskWarning[];
  /** What was chosen for the task when it was submitted ({} when nothing). */
  options: TaskOptions;
  /** Pages copied from an earlier task's reading of the same page (no call, no cost). */
  reusedPages: number;
  createdAt: string | null;
  /** A cancel was asked for and its outcome has not arrived yet. */
  cancelling: boolean;
  /** Why the last cancel, retry or delete of this page failed (the server's detail). */
  actionError: string | null;
}

/** The fields of a task summary the page keeps. */
export type SummaryFields = Pick<TaskSummary, 'id' | 'task_type' | 'status' | 'file_name' | 'file_size' | 'total_pages'
  | 'processed_pages' | 'failed_pages' | 'progress' | 'created_at' | 'error_message' | 'warnings' | 'options'> & Partial<Pick<TaskSummary, 'reused_pages'>>;

export interface TaskStore {
  get(id: string): TaskState | undefined;
  fromSummary(summary: SummaryFields): TaskState;
  patch(id: string, changes: Partial<TaskState>): void;
  apply(message: LiveMessage): void;
  onChange(id: string, listener: (task: TaskState) => void): () => void;
}

const num = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const isStatus = (value: unknown): value is TaskStatus => (TASK_STATUSES as readonly unknown[]).includes(value);

export function createTaskStore(): TaskStore {
  const tasks = new Map<string, TaskState>();
  const listeners = new Map<string, Set<(task: TaskState) => void>>();

  const notify = (task: TaskState) => {
    for (const listener of listeners.get(task.id) ?? []) listener(task);
  };

  const patch = (id: string, changes: Partial<TaskState>) => {
    const task = tasks.get(id);
    if (!task) return;
    Object.assign(task, changes);
    notify(task);
  };

  const fromSummary = (s: SummaryFields): TaskState => {
    const known = tasks.get(s.id);
    const task: TaskState = {
      id: s.id,
      taskType: s.task_type,
      fileName: s.file_name,
      fileSize: s.file_size,
      status: isStatus(s.status) ? s.status : 'pending',
      totalPages: s.total_pages,
      processed: s.processed_pages,
      failed: s.failed_pages,
      progress: s.progress,
      rate: known?.rate ?? null,
      eta: known?.eta ?? null,
      error: s.error_message,
      warnings: s.warnings,
      // A server from before options answers without them.
      options: s.options ?? {},
      reusedPages: s.reused_pages ?? known?.reusedPages ?? 0,
      createdAt: s.created_at,
      cancelling: known?.cancelling ?? false,
      actionError: known?.actionError ?? null,
    };
    // A live update may be newer than a list answer that was on its way: progress never goes back.
    if (known && !FINAL.has(task.status) && known.processed + known.failed > task.processed + task.failed) {
      Object.assign(task, { status: known.status, processed: known.processed, failed: known.failed, progress: known.progress });
    }
    if (known && known.status === 'deleted') task.status = 'deleted';
    tasks.set(s.id, task);
    notify(task);
    return task;
  };

  const apply = (m: LiveMessage) => {
    const task = 'task_id' in m && m.task_id ? tasks.get(m.task_id) : undefined;
    if (!task) return;
    // The server's messages are typed by the contract; numbers are still checked, since a bad value
    // would show as NaN in the card.
    switch (m.type) {
      case 'task_started':
        patch(task.id, { status: task.status === 'pending' ? 'processing' : task.status, totalPages: num(m.total_pages, task.totalPages) });
        break;
      case 'task_progress':
        patch(task.id, {
          status: isStatus(m.status) ? m.status : task.status,
          processed: num(m.processed, task.processed),
          failed: num(m.failed, task.failed),
          totalPages: num(m.total, task.totalPages),
          progress: num(m.progress, task.progress),
          rate: typeof m.processing_rate === 'number' ? m.processing_rate : null,
          eta: typeof m.eta_seconds === 'number' ? m.eta_seconds : null,
        });
        break;
      case 'task_completed':
      case 'task_failed':
      case 'task_cancelled': {
        fromSummary(m.task);
        patch(task.id, {
          status: m.status,
          error: m.task.error_message,
          cancelling: false,
          eta: null,
        });
        break;
      }
      case 'error':
        if (m.code === 'task_not_found') patch(task.id, { status: 'deleted', cancelling: false });
        break;
      case 'page_completed':
      case 'task_subscribed':
      case 'task_unsubscribed':
      case 'task_status_response':
      case 'connection_established':
      case 'pong':
        // Nothing a card shows: task_progress follows every page.
        break;
      default:
        m satisfies never;
    }
  };

  return {
    get: (id) => tasks.get(id),
    fromSummary,
    patch,
    apply,
    onChange(id, listener) {
      const set = listeners.get(id) ?? new Set();
      set.add(listener);
      listeners.set(id, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(id);
      };
    },
  };
}
