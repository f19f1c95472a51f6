/**
 * The messages the WebSocket server sends, in the seed's shapes (reference/seed-contract.md §4) plus
 * the ones the seed declared and never sent (task_progress, page_completed for every PDF page).
 * Every message has `type` and `timestamp`.
 */
import type { TaskEvent } from '../../store/events.js';
import type { PageRow } from '../../store/pages.js';
import type { TaskRow } from '../../store/tasks.js';
import type { Pricing } from '../../pricing.js';
import { detailedProgress } from '../views/progress-view.js';
import { taskDetails, taskSummary } from '../views/task-view.js';

export interface ServerMessage { type: string; timestamp: string; [field: string]: unknown }

const message = (type: string, fields: Record<string, unknown> = {}): ServerMessage =>
  ({ type, ...fields, timestamp: new Date().toISOString() });

export const connectionEstablished = (clientId: string, pingIntervalMs: number) =>
  message('connection_established', { client_id: clientId, heartbeat_interval: pingIntervalMs / 1000 });

export const pong = () => message('pong');

export const protocolError = (code: string, text: string, taskId?: string) =>
  message('error', { message: text, code, ...(taskId ? { task_id: taskId } : {}) });

export const taskSubscribed = (taskId: string) => message('task_subscribed', { task_id: taskId });

export const taskUnsubscribed = (taskId: string) => message('task_unsubscribed', { task_id: taskId });

/** `task_info` is exactly what GET /api/tasks/{id} answers in `data`. */
export const taskStatusResponse = (task: TaskRow, pages: PageRow[], pricing: Pricing) =>
  message('task_status_response', { task_id: task.id, task_info: taskDetails(task, pages, pricing) });

export function taskStarted(task: TaskRow): ServerMessage {
  return message('task_started', {
    task_id: task.id,
    task_type: task.task_type,
    file_name: task.file_name,
    total_pages: task.total_pages,
    started_at: task.started_at,
    // The seed's rough guess before any page is done; task_progress carries a measured ETA.
    estimated_time: task.total_pages * 3,
  });
}

export function pageCompleted(event: Extract<TaskEvent, { type: 'page_completed' }>): ServerMessage {
  return message('page_completed', {
    task_id: event.task_id,
    data: {
      page_number: event.page_number,
      status: event.status,
      content_length: event.content_length,
      processing_time: event.processing_time,
      error_message: event.error_message,
    },
  });
}

/** Counts, percentage, pages per minute and seconds left, from the task row (kept current by events). */
export function taskProgress(task: TaskRow): ServerMessage {
  const progress = detailedProgress(task);
  return message('task_progress', {
    task_id: task.id,
    status: task.status,
    processed: progress.processed_pages,
    failed: progress.failed_pages,
    total: progress.total_pages,
    progress: progress.progress_percentage,
    processing_rate: progress.processing_rate,
    eta_seconds: progress.estimated_time_remaining,
  });
}

const partialResults = (task: TaskRow) => ({
  total_pages: task.total_pages,
  processed_pages: task.processed_pages,
  failed_pages: task.failed_pages,
});

/**
 * The message for a task with an outcome. `partial` is a completed task that names its failed pages,
 * so clients written for the seed (which knew no `partial`) still see it finish.
 */
export function taskFinished(task: TaskRow, pages: PageRow[], pricing: Pricing): ServerMessage {
  const failedPages = pages.filter((p) => p.status === 'failed').map((p) => p.page_number);
  const base = { task_id: task.id, status: task.status, task: taskSummary(task, pricing) };
  switch (task.status) {
    case 'completed':
    case 'partial': {
      // The seed previewed image results only; a PDF's content is fetched from /result.
      const preview = task.task_type === 'image_ocr' ? (pages[0]?.content ?? '').slice(0, 500) : undefined;
      return message('task_completed', {
        ...base,
        result_summary: task.result_summary,
        failed_page_numbers: failedPages,
        ...(preview === undefined ? {} : { content_preview: preview }),
      });
    }
    case 'cancelled':
      return message('task_cancelled', { ...base, reason: task.error_message ?? '用户取消', partial_results: partialResults(task) });
    default:
      return message('task_failed', {
        ...base,
        error_code: task.error_code,
        error_message: task.error_message,
        failed_page: failedPages[0] ?? null,
        partial_results: partialResults(task),
      });
  }
}
