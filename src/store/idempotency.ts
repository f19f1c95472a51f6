/** SQL for Idempotency-Key claims (sql/009, sql/012, sql/013); the rules are in api/http/idempotency.ts. */
import type { Queryable } from './pool.js';

/** How long a key answers with its first task. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

/** A key's claim: its request's fingerprint and, once the first request has finished, what it answered. */
export interface IdempotencyClaim {
  fingerprint: string;
  answer: unknown;
}

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
  const { rows: [row] } = await db.query<{ fingerprint: string; answer: unknown }>('select fingerprint, answer from idempotency_keys where key = $1', [key]);
  return row && { fingerprint: row.fingerprint, answer: row.answer };
}

/**
 * The first request has finished: repeats answer with `answer` from now on. `taskId`: the one task
 * it made (a single-file submit), whose deletion frees the key.
 */
export async function recordKeyAnswer(db: Queryable, key: string, answer: unknown, taskId?: string): Promise<void> {
  await db.query('update idempotency_keys set answer = $2::jsonb, task_id = $3 where key = $1', [key, JSON.stringify(answer), taskId ?? null]);
}

/** The first request made nothing (it was refused, or failed): the key is free for the next. */
export async function releaseKey(db: Queryable, key: string): Promise<void> {
  await db.query('delete from idempotency_keys where key = $1 and answer is null', [key]);
}
