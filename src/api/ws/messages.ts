/**
 * The messages the WebSocket server sends (src/contract/websocket.ts): those clients of the old
 * service read, in their shapes, plus the ones it declared and never sent (task_progress,
 * page_completed for every PDF page; docs/compatibility.md, "WebSocket").
 */
import type {
  ConnectionEstablishedMessage, ErrorMessage, FinalTaskStatus, PageCompletedEvent, PageCompletedMessage, PongMessage,
  ServerMessage, TaskCancelledMessage, TaskCompletedMessage, TaskFailedMessage, TaskOutcomeMessage, TaskProgressMessage, TaskStartedMessage, TaskStatusResponseMessage, TaskSubscribedMessage,
  TaskUnsubscribedMessage,
} from '../../contract/index.js';
import type { PageRow } from '../../store/pages.js';
import type { TaskRow } from '../../store/tasks.js';
import type { Pricing } from '../../pricing.js';
import { CANCELLED_REASON } from '../../tasks/outcome.js';
import { detailedProgress } from '../views/progress-view.js';
import { taskDetails, taskSummary } from '../views/task-view.js';

/** Every message gets the time it is sent, after its own fields. */
const stamp = <M extends ServerMessage>(fields: Omit<M, 'timestamp'>): M => ({ ...fields, timestamp: new Date().toISOString() }) as M;

export const connectionEstablished = (clientId: string, pingIntervalMs: number) =>
  stamp<ConnectionEstablishedMessage>({ type: 'connection_established', client_id: clientId, heartbeat_interval: pingIntervalMs / 1000 });

export const pong = () => stamp<PongMessage>({ type: 'pong' });

export const protocolError = (code: string, text: string, taskId?: string) =>
  stamp<ErrorMessage>({ type: 'error', message: text, code, ...(taskId ? { task_id: taskId } : {}) });

export const taskSubscribed = (taskId: string) => stamp<TaskSubscribedMessage>({ type: 'task_subscribed', task_id: taskId });

export const taskUnsubscribed = (taskId: string) => stamp<TaskUnsubscribedMessage>({ type: 'task_unsubscribed', task_id: taskId });

/** `task_info` is exactly what GET /api/tasks/{id} answers in `data`. */
export const taskStatusResponse = (task: TaskRow, pages: PageRow[], pricing: Pricing) =>
  stamp<TaskStatusResponseMessage>({ type: 'task_status_response', task_id: task.id, task_info: taskDetails(task, pages, pricing) });

export function taskStarted(task: TaskRow): TaskStartedMessage {
  return stamp<TaskStartedMessage>({
    type: 'task_started',
    task_id: task.id,
    task_type: task.task_type,
    file_name: task.file_name,
    total_pages: task.total_pages,
    started_at: task.started_at ? task.started_at.toISOString() : null,
    // The old service's rough guess before any page is done; task_progress carries a measured ETA.
    estimated_time: task.total_pages * 3,
  });
}

export function pageCompleted(event: PageCompletedEvent): PageCompletedMessage {
  return stamp<PageCompletedMessage>({
    type: 'page_completed',
    task_id: event.task_id,
    data: {
      page_number: event.page_number,
      status: event.status,
      content_length: event.content_length,
      processing_time: event.processing_time,
      error_message: event.error_message,
      warnings: event.warnings,
    },
  });
}

/** Counts, percentage, pages per minute and seconds left, from the task row (kept current by events). */
export function taskProgress(task: TaskRow): TaskProgressMessage {
  const progress = detailedProgress(task);
  return stamp<TaskProgressMessage>({
    type: 'task_progress',
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
 * so clients written for the old service (which knew no `partial`) still see it finish.
 */
export function taskFinished(task: TaskRow & { status: FinalTaskStatus }, pages: PageRow[], pricing: Pricing): TaskOutcomeMessage {
  const failedPages = pages.filter((p) => p.status === 'failed').map((p) => p.page_number);
  const summary = taskSummary(task, pricing);
  const status = task.status;
  switch (status) {
    case 'completed':
    case 'partial': {
      // Images only, as the old service did; a PDF's content is fetched from /result.
      const preview = task.task_type === 'image_ocr' ? (pages[0]?.content ?? '').slice(0, 500) : undefined;
      return stamp<TaskCompletedMessage>({
        type: 'task_completed',
        task_id: task.id,
        status,
        task: summary,
        result_summary: task.result_summary,
        failed_page_numbers: failedPages,
        ...(preview === undefined ? {} : { content_preview: preview }),
      });
    }
    case 'cancelled':
      return stamp<TaskCancelledMessage>({ type: 'task_cancelled', task_id: task.id, status, task: summary, reason: task.error_message ?? CANCELLED_REASON, partial_results: partialResults(task) });
    case 'failed':
      return stamp<TaskFailedMessage>({
        type: 'task_failed',
        task_id: task.id,
        status,
        task: summary,
        error_code: task.error_code,
        error_message: task.error_message,
        failed_page: failedPages[0] ?? null,
        partial_results: partialResults(task),
      });
    default:
      return status satisfies never;
  }
}
