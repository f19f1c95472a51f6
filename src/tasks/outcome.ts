/** Decides a finished task's status, error and result summary from what its pages table holds. */
import type { ResultSummary } from '../contract/index.js';
import type { PageTotals } from '../store/pages.js';
import type { TaskOutcome, TaskRow } from '../store/tasks.js';

/** How a run ended, as the workflow (or the API, for a task whose run never started) reports it. */
export type RunEnd =
  /** Every batch reported; `unfinished`: why the pages of batches that gave up have no result. */
  | { kind: 'done'; unfinished?: string }
  /** Something doomed the whole task: a bad key, an unknown model, Temporal unreachable. */
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancelled' };

/** The reason a cancelled task shows (the old service's words: "cancelled by the user"). */
export const CANCELLED_REASON = '用户取消';

export function decideOutcome(task: TaskRow, pages: PageTotals, end: RunEnd, now = Date.now()): TaskOutcome {
  const total = task.total_pages;
  // Pages without any row (a batch that never finished) count as failed too.
  const failed = total - pages.completed;
  const started = task.started_at ?? task.created_at;
  const resultSummary: ResultSummary = {
    total_pages: total,
    successful_pages: pages.completed,
    failed_pages: failed,
    success_rate: `${((pages.completed / total) * 100).toFixed(1)}%`,
    processing_time: Math.round((now - started.getTime()) / 100) / 10,
    content_length: pages.content_length,
    file_size_mb: (task.file_size / (1024 * 1024)).toFixed(2),
  };

  switch (end.kind) {
    case 'cancelled':
      return { status: 'cancelled', errorCode: 'cancelled', errorMessage: CANCELLED_REASON, resultSummary };
    case 'error':
      return { status: 'failed', errorCode: end.code, errorMessage: end.message, resultSummary };
    case 'done':
      break;
  }
  if (failed === 0) return { status: 'completed', errorCode: null, errorMessage: null, resultSummary };
  // A failed page's own error comes first; pages without any row are those of a batch that gave up.
  const reason = pages.first_error ?? end.unfinished ?? 'the page could not be processed';
  const errorCode = pages.first_error_class ?? (end.unfinished === undefined ? 'page_failed' : 'batch_failed');
  if (pages.completed === 0) return { status: 'failed', errorCode, errorMessage: reason, resultSummary };
  return { status: 'partial', errorCode, errorMessage: `${failed} of ${total} pages failed; first error: ${reason}`, resultSummary };
}
