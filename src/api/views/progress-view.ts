/** Progress, page statistics and batches of a task, computed from the task row and its pages. */
import { isFinalStatus, type BatchStatus, type BatchView, type DetailedProgress } from '../../contract/index.js';
import type { TaskRow } from '../../store/tasks.js';
import type { PageRow } from '../../store/pages.js';
import { taskPageNumbers } from '../../tasks/page-ranges.js';
import { splitIntoBatches } from '../../workflows/types.js';
import { progressPercent } from './task-view.js';

/** Derived from the page rows the route has already read (content_length comes without content). */
export function pageStatisticsView(task: TaskRow, pages: PageRow[]) {
  const completed = pages.filter((p) => p.status === 'completed').length;
  const finished = pages.length;
  const averageMs = finished === 0 ? 0 : pages.reduce((sum, p) => sum + p.processing_ms, 0) / finished;
  return {
    total_pages: task.total_pages,
    completed_pages: completed,
    failed_pages: finished - completed,
    // Which unfinished pages are with the model right now is Temporal's business: all count as pending.
    pending_pages: task.total_pages - finished,
    processing_pages: 0,
    average_processing_time: Math.round(averageMs / 10) / 100,
    total_content_length: pages.reduce((sum, p) => sum + p.content_length, 0),
    success_rate: finished === 0 ? 0 : Math.round((completed / finished) * 1000) / 10,
  };
}

/**
 * Pages per minute in the current run (after a retry: only the pages it did, since it started), and
 * the seconds left at that rate (null while unknown).
 */
export function detailedProgress(task: TaskRow, now = Date.now()): DetailedProgress {
  const done = task.processed_pages + task.failed_pages;
  const end = task.completed_at?.getTime() ?? now;
  const since = task.run_started_at ?? task.started_at;
  const minutes = since ? (end - since.getTime()) / 60_000 : 0;
  const rate = minutes > 0 ? Math.max(0, done - task.run_base_pages) / minutes : 0;
  const remaining = task.total_pages - done;
  const final = isFinalStatus(task.status);
  return {
    total_pages: task.total_pages,
    processed_pages: task.processed_pages,
    failed_pages: task.failed_pages,
    progress_percentage: progressPercent(task),
    processing_rate: Math.round(rate * 10) / 10,
    estimated_time_remaining: final ? 0 : rate > 0 ? Math.round((remaining / rate) * 60) : null,
  };
}

/**
 * The old service's page_batches rows (docs/compatibility.md, "Task queries"), derived from the batch
 * size the task ran with and its pages.
 */
export function batchesView(task: TaskRow, pages: PageRow[], batchSize: number): BatchView[] {
  const byNumber = new Map(pages.map((p) => [p.page_number, p]));
  const final = isFinalStatus(task.status);
  const batches: BatchView[] = [];
  // As the run split them: the task's pages (all, or those its `pages` option names) in batches.
  for (const [index, numbers] of splitIntoBatches(taskPageNumbers(task), batchSize).entries()) {
    const n = index + 1;
    const [first, last] = [numbers[0]!, numbers.at(-1)!];
    const rows = numbers.flatMap((p) => byNumber.get(p) ?? []);
    const completed = rows.filter((r) => r.status === 'completed').length;
    const failed = rows.length - completed;
    const count = numbers.length;
    let status: BatchStatus;
    if (rows.length === count || final) {
      // A finished task's missing pages never will be: they count as failed.
      status = completed === count ? 'completed' : completed === 0 ? 'failed' : 'partial';
    } else {
      status = rows.length > 0 ? 'processing' : 'pending';
    }
    batches.push({
      id: `${task.id}_batch_${String(n).padStart(3, '0')}`,
      task_id: task.id,
      batch_number: n,
      status,
      page_start: first,
      page_end: last,
      pages_count: count,
      processed_pages: completed,
      failed_pages: final ? count - completed : failed,
      processing_time: Math.round(rows.reduce((sum, r) => sum + r.processing_ms, 0) / 10) / 100,
    });
  }
  return batches;
}
