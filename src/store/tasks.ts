/** SQL for the tasks table: the state users query. Temporal owns execution; this owns what is shown. */
import { FINAL_TASK_STATUSES, type FinalTaskStatus, type ResultSummary, type TaskOptions, type TaskStatus, type TaskType, type TaskWarning } from '../contract/index.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

export interface TaskRow {
  id: string;
  task_type: TaskType;
  status: TaskStatus;
  file_name: string;
  file_size: number;
  file_sha256: string;
  mime_type: string;
  total_pages: number;
  processed_pages: number;
  failed_pages: number;
  error_code: string | null;
  error_message: string | null;
  result_summary: ResultSummary | null;
  metadata: Record<string, unknown>;
  warnings: TaskWarning[];
  options: TaskOptions;
  /** Sums over the task's pages and the failed pages a retry forgot, kept by savePage's recount. */
  prompt_tokens: number;
  completion_tokens: number;
  /** Some of the tokens were estimated (a call stopped before its usage was reported). */
  tokens_estimated: boolean;
  earlier_prompt_tokens: number;
  earlier_completion_tokens: number;
  /** Pages copied from earlier tasks' (tasks/reuse.ts), and what those cost when first read. */
  reused_pages: number;
  reused_prompt_tokens: number;
  reused_completion_tokens: number;
  /** MODEL when the task (or its latest retry) started; null before that. */
  model: string | null;
  created_at: Date;
  started_at: Date | null;
  /** When the current run (the first, or the latest retry) started, and the pages done before it. */
  run_started_at: Date | null;
  run_base_pages: number;
  completed_at: Date | null;
  updated_at: Date;
}

export interface NewTask {
  id: string;
  taskType: TaskType;
  fileName: string;
  fileSize: number;
  fileSha256: string;
  mimeType: string;
  totalPages: number;
  metadata: Record<string, unknown>;
  warnings: TaskWarning[];
  options: TaskOptions;
}

export async function insertTask(db: Queryable, task: NewTask): Promise<void> {
  await db.query(
    `insert into tasks (id, task_type, file_name, file_size, file_sha256, mime_type, total_pages, metadata, warnings, options)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::text[], $10::jsonb)`,
    [task.id, task.taskType, task.fileName, task.fileSize, task.fileSha256, task.mimeType, task.totalPages, JSON.stringify(task.metadata), task.warnings, JSON.stringify(task.options)],
  );
}

export async function getTask(db: Queryable, id: string): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>('select * from tasks where id = $1', [id]);
  return rows[0];
}

/**
 * Locks the task row until the transaction ends, so writes to one task (its pages, its outcome) run
 * one after another and each sees what the one before committed; false when the task is gone. Reads
 * nothing of the row: it runs for every page saved.
 */
export async function lockTask(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from tasks where id = $1 for update', [id]);
  return rowCount === 1;
}

export interface TaskListQuery { status?: TaskStatus; limit: number; offset: number }

/**
 * Newest first. The page's ids come from the (created_at desc, id desc) or (status, created_at desc,
 * id desc) index alone, and only those rows are read: sorting whole rows (jsonb and all) to skip
 * `offset` of them took 70 ms at offset 5,000 of 10,000 tasks, this takes 5 ms.
 */
export async function listTasks(db: Queryable, query: TaskListQuery): Promise<{ rows: TaskRow[]; total: number }> {
  // Separate statements rather than `($1 is null or status = $1)`, which hides the status index.
  const pageIds = query.status
    ? 'select id from tasks where status = $3 order by created_at desc, id desc limit $1 offset $2'
    : 'select id from tasks order by created_at desc, id desc limit $1 offset $2';
  const [list, count] = await Promise.all([
    db.query<TaskRow>(
      `select t.* from (${pageIds}) page join tasks t using (id) order by t.created_at desc, t.id desc`,
      query.status ? [query.limit, query.offset, query.status] : [query.limit, query.offset],
    ),
    query.status
      ? db.query<{ total: number }>('select count(*)::int as total from tasks where status = $1', [query.status])
      : db.query<{ total: number }>('select count(*)::int as total from tasks'),
  ]);
  return { rows: list.rows, total: count.rows[0]!.total };
}

export async function getTasks(db: Queryable, ids: string[]): Promise<Map<string, TaskRow>> {
  const { rows } = await db.query<TaskRow>('select * from tasks where id = any($1::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * pending → processing, recording the model the pages go to; a replayed or retried call leaves a
 * running or finished task alone. True when the status really changed (then it is news).
 */
export async function markTaskStarted(db: Queryable, id: string, model: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `update tasks set status = 'processing', started_at = coalesce(started_at, now()),
            run_started_at = now(), run_base_pages = processed_pages + failed_pages,
            model = $2, updated_at = now()
     where id = $1 and status = 'pending'`,
    [id, model],
  );
  return rowCount === 1;
}

export interface TaskOutcome {
  status: FinalTaskStatus;
  errorCode: string | null;
  errorMessage: string | null;
  resultSummary: ResultSummary;
}

/**
 * Tasks still `pending` after `olderThanSeconds`: their workflow start was lost (the API died between
 * the insert and the start). A task whose workflow ran is `processing` or final, never `pending`.
 */
export type StrandedTask = Pick<TaskRow, 'id' | 'task_type' | 'file_name' | 'total_pages' | 'options'>;

export async function findStrandedTasks(db: Queryable, olderThanSeconds: number): Promise<StrandedTask[]> {
  const { rows } = await db.query<StrandedTask>(
    `select id, task_type, file_name, total_pages, options from tasks
     where status = 'pending' and created_at < now() - make_interval(secs => $1)
     order by created_at`,
    [olderThanSeconds],
  );
  return rows;
}

/**
 * Back to `pending` for a retry: failed pages are forgotten so that only they run again, but not the
 * tokens they cost, which stay in the task's usage (earlier_*_tokens).
 */
export async function resetForRetry(pool: Pool, id: string): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(
      `with forgotten as (delete from pages where task_id = $1 and status = 'failed'
                          returning prompt_tokens, completion_tokens)
       update tasks set status = 'pending', failed_pages = 0, error_code = null, error_message = null,
              result_summary = null, completed_at = null, updated_at = now(),
              earlier_prompt_tokens = earlier_prompt_tokens + (select coalesce(sum(prompt_tokens), 0) from forgotten),
              earlier_completion_tokens = earlier_completion_tokens + (select coalesce(sum(completion_tokens), 0) from forgotten)
       where id = $1`,
      [id],
    );
  });
}

/** Deletes the task (its pages cascade) and its file when no other task uses it. */
export async function deleteTask(pool: Pool, id: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { tasks, fileSha256s } = await deleteTaskRows(client, [id]);
    if (tasks === 0) return false;
    await client.query(
      'delete from files f where f.sha256 = $1 and not exists (select 1 from tasks t where t.file_sha256 = f.sha256)',
      [fileSha256s[0]],
    );
    return true;
  });
}

export interface DeletedTasks { tasks: number; pages: number; fileSha256s: string[] }

/**
 * Deletes these tasks with every row that references them: their pages here (to count them), and
 * by `on delete cascade` their webhook events and deliveries and their idempotency keys. Their
 * files stay (a file may be shared; retention and deleteTask decide). Run it inside a transaction.
 */
export async function deleteTaskRows(db: Queryable, ids: string[]): Promise<DeletedTasks> {
  // Task rows first, as every writer of a task's pages does (lockTask): locking a page first could
  // deadlock with a run saving it.
  await db.query('select 1 from tasks where id = any($1::uuid[]) for update', [ids]);
  const pages = await db.query('delete from pages where task_id = any($1::uuid[])', [ids]);
  const { rows } = await db.query<{ file_sha256: string }>('delete from tasks where id = any($1::uuid[]) returning file_sha256', [ids]);
  return { tasks: rows.length, pages: pages.rowCount ?? 0, fileSha256s: [...new Set(rows.map((r) => r.file_sha256))] };
}

/**
 * Up to `limit` tasks that finished (completed, partial, failed, cancelled) more than `days` days
 * ago, locked until the transaction ends. A locked task is skipped, not waited for: it is being
 * written to (a retry starting makes it unfinished again), and the next run takes it if it still
 * qualifies.
 */
export async function lockExpiredTasks(db: Queryable, days: number, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select id from tasks
     where completed_at < now() - make_interval(days => $1) and status = any($2::text[])
     order by completed_at limit $3
     for update skip locked`,
    [days, FINAL_TASK_STATUSES, limit],
  );
  return rows.map((r) => r.id);
}

/** Records the task's outcome; false when the task no longer exists. */
export async function saveOutcome(db: Queryable, id: string, outcome: TaskOutcome): Promise<boolean> {
  const { rowCount } = await db.query(
    `update tasks set status = $2, error_code = $3, error_message = $4, result_summary = $5::jsonb,
            completed_at = now(), updated_at = now()
     where id = $1`,
    [id, outcome.status, outcome.errorCode, outcome.errorMessage, JSON.stringify(outcome.resultSummary)],
  );
  return rowCount === 1;
}
