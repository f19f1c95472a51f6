/** SQL for Idempotency-Key claims (sql/009_idempotency_keys.sql); the rules are in api/http/idempotency.ts. */
import type { Queryable } from './pool.js';

/** How long a key answers with its first task. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

/** A key's claim: its request's fingerprint and, once the first request made it, the task. */
export interface IdempotencyClaim {
  fingerprint: string;
  task: { taskId: string; totalPages: number; size: number } | null;
}

interface ClaimRow { fingerprint: string; task_id: string | null; total_pages: number | null; file_size: number | null }

/**
 * Claims `key` for a request with this fingerprint: undefined when this request now holds it (a new
 * key, or one whose window has passed), else the claim already there. Two requests racing for one
 * key serialise on its primary key: exactly one inserts.
 */
export async function claimKey(db: Queryable, key: string, fingerprint: string): Promise<IdempotencyClaim | undefined> {
  // Old claims go first, so an expired key is claimed anew (and the table does not grow for ever).
  await db.query(`delete from idempotency_keys where created_at < now() - make_interval(hours => $1)`, [IDEMPOTENCY_WINDOW_HOURS]);
  const inserted = await db.query('insert into idempotency_keys (key, fingerprint) values ($1, $2) on conflict (key) do nothing', [key, fingerprint]);
  if (inserted.rowCount === 1) return undefined;
  return existingClaim(db, key);
}

/** The claim on `key`, or undefined when there is none (its request failed, or its task was deleted). */
export async function existingClaim(db: Queryable, key: string): Promise<IdempotencyClaim | undefined> {
  const { rows: [row] } = await db.query<ClaimRow>('select fingerprint, task_id, total_pages, file_size from idempotency_keys where key = $1', [key]);
  if (!row) return undefined;
  const task = row.task_id === null ? null : { taskId: row.task_id, totalPages: row.total_pages!, size: row.file_size! };
  return { fingerprint: row.fingerprint, task };
}

/** The first request made its task: repeats answer with it from now on. */
export async function recordKeyTask(db: Queryable, key: string, task: { taskId: string; totalPages: number; size: number }): Promise<void> {
  await db.query('update idempotency_keys set task_id = $2, total_pages = $3, file_size = $4 where key = $1', [key, task.taskId, task.totalPages, task.size]);
}

/** The first request made no task (it was refused, or failed): the key is free for the next. */
export async function releaseKey(db: Queryable, key: string): Promise<void> {
  await db.query('delete from idempotency_keys where key = $1 and task_id is null', [key]);
}
