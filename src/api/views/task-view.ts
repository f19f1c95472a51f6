/** Task and page rows in the JSON shapes the seed's clients read (reference/seed-contract.md §3.2). */
import { FINAL_STATUSES, type TaskRow } from '../../store/tasks.js';
import type { PageRow } from '../../store/pages.js';
import { usageView, type Pricing } from '../../pricing.js';

const MB = 1024 * 1024;

export const fileSizeMb = (bytes: number) => (bytes / MB).toFixed(2);

/** The seed's queue_status has no `partial`: for a queue, a partial task is done. */
function queueStatus(status: TaskRow['status']): string {
  return status === 'partial' ? 'completed' : status;
}

/** 100 once the task has an outcome (as the seed reported); a cancelled task shows how far it got. */
export function progressPercent(task: TaskRow): number {
  if (FINAL_STATUSES.includes(task.status) && task.status !== 'cancelled') return 100;
  return Math.round(((task.processed_pages + task.failed_pages) / task.total_pages) * 1000) / 10;
}

export function pageSummary(page: PageRow) {
  return {
    page_number: page.page_number,
    status: page.status,
    content_length: page.content_length,
    processing_time: page.processing_ms / 1000,
    attempts: page.attempts,
    error_class: page.error_class,
    error_message: page.error_message,
    // As the model reported them; null when it did not (a failed page, a server without `usage`).
    prompt_tokens: page.prompt_tokens,
    completion_tokens: page.completion_tokens,
  };
}

/**
 * GET /api/tasks/{id}: the task row plus page summaries (content lives at /result, not here).
 * `pricing` (MODEL_PRICES) turns tokens into a cost; without it `usage.cost` is null.
 */
export function taskDetails(task: TaskRow, pages: PageRow[], pricing?: Pricing) {
  return { ...taskSummary(task, pricing), page_results: pages.map(pageSummary) };
}

/** A task as lists show it: the row without its pages. */
export function taskSummary(task: TaskRow, pricing?: Pricing) {
  return {
    id: task.id,
    task_type: task.task_type,
    status: task.status,
    queue_status: queueStatus(task.status),
    file_name: task.file_name,
    file_size: task.file_size,
    file_size_mb: fileSizeMb(task.file_size),
    mime_type: task.mime_type,
    total_pages: task.total_pages,
    processed_pages: task.processed_pages,
    failed_pages: task.failed_pages,
    progress: progressPercent(task),
    created_at: task.created_at,
    started_at: task.started_at,
    completed_at: task.completed_at,
    last_updated_at: task.updated_at,
    error_code: task.error_code,
    error_message: task.error_message,
    metadata: task.metadata,
    result_summary: task.result_summary,
    usage: usageView(task, pricing),
  };
}

/** GET /api/tasks/{id}/result: content only once the task has an outcome with content. */
export function taskResult(task: TaskRow, content: string, pages: PageRow[], pricing?: Pricing) {
  const hasContent = task.status === 'completed' || task.status === 'partial';
  return {
    task_id: task.id,
    status: task.status,
    progress: progressPercent(task),
    created_at: task.created_at,
    completed_at: task.completed_at,
    error_message: task.error_message,
    file_size_mb: fileSizeMb(task.file_size),
    content: hasContent ? content : '',
    page_results: task.task_type === 'pdf_ocr' && hasContent
      ? pages.map((p) => ({ ...pageSummary(p), content: p.content }))
      : [],
    usage: usageView(task, pricing),
  };
}
