/**
 * Task and page rows in the JSON shapes clients read (src/contract/rest.ts; the fields kept from the
 * old service are in docs/compatibility.md, "Task queries").
 */
import {
  isFinalStatus, RESULT_STATUSES, type PageSummary, type PageWithContent, type QueueStatus, type TaskDetails, type TaskResult,
  type TaskStatus, type TaskSummary,
} from '../../contract/index.js';
import type { PageRow } from '../../store/pages.js';
import type { TaskRow } from '../../store/tasks.js';
import { usageView, type Pricing } from '../../pricing.js';

const MB = 1024 * 1024;

export const fileSizeMb = (bytes: number) => (bytes / MB).toFixed(2);

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

/** queue_status knows no `partial`: for a queue, a partial task is done. */
function queueStatus(status: TaskStatus): QueueStatus {
  return status === 'partial' ? 'completed' : status;
}

export const hasResult = (status: TaskStatus) => (RESULT_STATUSES as readonly TaskStatus[]).includes(status);

/** 100 once the task has an outcome (as clients have always read it); a cancelled task shows how far it got. */
export function progressPercent(task: TaskRow): number {
  if (isFinalStatus(task.status) && task.status !== 'cancelled') return 100;
  return Math.round(((task.processed_pages + task.failed_pages) / task.total_pages) * 1000) / 10;
}

export function pageSummary(page: PageRow): PageSummary {
  return {
    page_number: page.page_number,
    status: page.status,
    content_length: page.content_length,
    processing_time: page.processing_ms / 1000,
    attempts: page.attempts,
    error_class: page.error_class,
    error_message: page.error_message,
    // Of every call for the page; null when none reported a count (a server without `usage`, a blank page).
    prompt_tokens: page.prompt_tokens,
    completion_tokens: page.completion_tokens,
    tokens_estimated: page.tokens_estimated,
    warnings: page.warnings,
    sent_image: page.sent_bytes === null ? null
      : { width: page.sent_width!, height: page.sent_height!, bytes: page.sent_bytes, mime_type: page.sent_type! },
    reused: page.reused,
  };
}

export const pageWithContent = (page: PageRow): PageWithContent => ({ ...pageSummary(page), content: page.content });

/**
 * GET /api/tasks/{id}: the task row plus page summaries (content lives at /result, not here).
 * `pricing` (MODEL_PRICES) turns tokens into a cost; without it `usage.cost` is null.
 */
export function taskDetails(task: TaskRow, pages: PageRow[], pricing?: Pricing): TaskDetails {
  return { ...taskSummary(task, pricing), page_results: pages.map(pageSummary) };
}

/** A task as lists show it: the row without its pages. */
export function taskSummary(task: TaskRow, pricing?: Pricing): TaskSummary {
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
    created_at: iso(task.created_at),
    started_at: isoOrNull(task.started_at),
    completed_at: isoOrNull(task.completed_at),
    last_updated_at: iso(task.updated_at),
    error_code: task.error_code,
    error_message: task.error_message,
    metadata: task.metadata,
    result_summary: task.result_summary,
    usage: usageView(task, pricing),
    warnings: task.warnings,
    options: task.options,
    ...reuseFigures(task),
  };
}

/** Pages copied from earlier tasks; a cache hit when they are all of them. */
const reuseFigures = (task: TaskRow) => ({ reused_pages: task.reused_pages, cache_hit: task.total_pages > 0 && task.reused_pages === task.total_pages });

/** Results list their pages for a PDF and for an image of several pages (a multi-page TIFF); a one-page image is its content. */
export const hasPageResults = (task: Pick<TaskRow, 'task_type' | 'total_pages'>): boolean => task.task_type === 'pdf_ocr' || task.total_pages > 1;

/** GET /api/tasks/{id}/result: content only once the task has an outcome with content. */
export function taskResult(task: TaskRow, content: string, pages: PageRow[], pricing?: Pricing): TaskResult {
  const withContent = hasResult(task.status);
  return {
    task_id: task.id,
    status: task.status,
    progress: progressPercent(task),
    created_at: iso(task.created_at),
    completed_at: isoOrNull(task.completed_at),
    error_message: task.error_message,
    file_size_mb: fileSizeMb(task.file_size),
    content: withContent ? content : '',
    page_results: hasPageResults(task) && withContent ? pages.map(pageWithContent) : [],
    usage: usageView(task, pricing),
    warnings: task.warnings,
    options: task.options,
    ...reuseFigures(task),
  };
}
