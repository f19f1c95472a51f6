/** Decides a finished task's status and builds the seed's result_summary from the pages table. */
import type { Queryable } from '../store/pool.js';
import type { TaskOutcome, TaskRow } from '../store/tasks.js';

interface OutcomeInput { error?: { code: string; message: string }; cancelled?: boolean }

export async function summarizeOutcome(db: Queryable, task: TaskRow, input: OutcomeInput): Promise<TaskOutcome> {
  const { rows } = await db.query<{ completed: number; failed: number; content_length: number; first_error: string | null; first_error_class: string | null }>(
    `select count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status = 'failed')::int as failed,
            coalesce(sum(length(content)), 0)::int as content_length,
            (array_agg(error_message order by page_number) filter (where status = 'failed'))[1] as first_error,
            (array_agg(error_class order by page_number) filter (where status = 'failed'))[1] as first_error_class
     from pages where task_id = $1`,
    [task.id],
  );
  const stats = rows[0]!;
  const total = task.total_pages;
  // Pages without any row (a batch that never finished) count as failed too.
  const failed = total - stats.completed;
  const started = task.started_at ?? task.created_at;
  const resultSummary = {
    total_pages: total,
    successful_pages: stats.completed,
    failed_pages: failed,
    success_rate: `${((stats.completed / total) * 100).toFixed(1)}%`,
    processing_time: Math.round((Date.now() - started.getTime()) / 100) / 10,
    content_length: stats.content_length,
    file_size_mb: (task.file_size / (1024 * 1024)).toFixed(2),
  };

  if (input.cancelled) {
    return { status: 'cancelled', errorCode: 'cancelled', errorMessage: '用户取消', resultSummary };
  }
  if (input.error) {
    return { status: 'failed', errorCode: input.error.code, errorMessage: input.error.message, resultSummary };
  }
  if (failed === 0) return { status: 'completed', errorCode: null, errorMessage: null, resultSummary };
  const reason = stats.first_error ?? 'the page could not be processed';
  const errorCode = stats.first_error_class ?? 'page_failed';
  if (stats.completed === 0) return { status: 'failed', errorCode, errorMessage: reason, resultSummary };
  return { status: 'partial', errorCode, errorMessage: `${failed} of ${total} pages failed; first error: ${reason}`, resultSummary };
}
