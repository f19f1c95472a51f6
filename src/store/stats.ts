/** Aggregates over tasks and pages for metrics and the system endpoints (cheap, index-backed). */
import type { Queryable } from './pool.js';
import type { TaskStatus, TaskType } from '../contract/index.js';

export interface TaskCount { task_type: TaskType; status: TaskStatus; count: number; finished_last_5_min: number }

export async function countTasks(db: Queryable): Promise<TaskCount[]> {
  const { rows } = await db.query<TaskCount>(
    `select task_type, status, count(*)::int as count,
            count(*) filter (where completed_at > now() - interval '5 minutes')::int as finished_last_5_min
     from tasks group by task_type, status`,
  );
  return rows;
}

export interface RecentPages {
  completed: number;
  failed: number;
  /** Pages finished in the last five minutes, per minute. */
  pages_per_minute: number;
  /** Seconds a page took (render, model calls and retries) over the window. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Pages that needed more than one model call. */
  retried: number;
  failed_by_class: Record<string, number>;
}

/** Pages finished in the last `minutes` minutes. */
export async function recentPages(db: Queryable, minutes: number): Promise<RecentPages> {
  const { rows } = await db.query<{ completed: number; failed: number; last5: number; retried: number; p: Array<number | null> | null; by_class: Record<string, number> | null }>(
    `select count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status = 'failed')::int as failed,
            count(*) filter (where updated_at > now() - interval '5 minutes')::int as last5,
            count(*) filter (where attempts > 1)::int as retried,
            percentile_cont(array[0.5, 0.95, 0.99]) within group (order by processing_ms) as p,
            (select jsonb_object_agg(error_class, n) from (
               select error_class, count(*)::int as n from pages
               where status = 'failed' and updated_at > now() - make_interval(mins => $1) group by error_class) c) as by_class
     from pages where updated_at > now() - make_interval(mins => $1)`,
    [minutes],
  );
  const row = rows[0]!;
  const seconds = (ms: number | null | undefined) => (ms == null ? null : Math.round(ms) / 1000);
  return {
    completed: row.completed,
    failed: row.failed,
    pages_per_minute: Math.round((row.last5 / 5) * 10) / 10,
    p50: seconds(row.p?.[0]),
    p95: seconds(row.p?.[1]),
    p99: seconds(row.p?.[2]),
    retried: row.retried,
    failed_by_class: row.by_class ?? {},
  };
}
