/**
 * The Idempotency-Key header on the submit routes. A client whose submit timed out sends it again
 * with the same key: within 24 hours the same request (the same kind of route, file and options)
 * answers with the task the first one made, marked `idempotent_replay`, and never makes a second,
 * also when the two arrive at once (the second waits for the first). The same key with another
 * request is a 422. A request that made no task (refused, failed) leaves the key free.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';
import type { TaskOptions } from '../../contract/index.js';
import { claimKey, IDEMPOTENCY_WINDOW_HOURS, recordKeyAnswer, releaseKey } from '../../store/idempotency.js';
import type { Pool } from '../../store/pool.js';
import { httpError } from './errors.js';
import { IDEMPOTENCY_KEY } from './schemas.js';

/** How long a repeat waits for the first request with its key (storing a 200 MB PDF takes seconds). */
const WAIT_FOR_FIRST_MS = 120_000;
const POLL_MS = 100;

/** The header's key, checked; undefined without one. */
export function idempotencyKey(ctx: Context): string | undefined {
  const key = ctx.get('Idempotency-Key');
  if (key === '') return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw httpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1–64 characters of A–Z, a–z, 0–9, "_" and "-"');
  return key;
}

/** What makes two submits the same request: the kind of route, the files' sha256 (in order), the options. */
export function requestFingerprint(kind: string, fileSha256: string | string[], options: TaskOptions = {}): string {
  return createHash('sha256').update(JSON.stringify([kind, fileSha256, options])).digest('hex');
}

export interface Submitted { taskId: string; totalPages: number; size: number }

/**
 * Runs `submit` for the first request with `key`; a repeat gets what the first one answered, with
 * `replay: true`. Without a key, just runs `submit`. `taskIdOf`: the one task an answer is about
 * (deleting it frees the key), if it is about one.
 */
export async function submitOnce<T>(pool: Pool, key: string | undefined, fingerprint: string, submit: () => Promise<T>, taskIdOf?: (answer: T) => string): Promise<{ submitted: T; replay: boolean }> {
  if (key === undefined) return { submitted: await submit(), replay: false };
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const claim = await claimKey(pool, key, fingerprint);
    if (!claim) break;
    if (claim.fingerprint !== fingerprint) {
      throw httpError(422, 'idempotency_key_reused', `This Idempotency-Key was used in the last ${IDEMPOTENCY_WINDOW_HOURS} hours for a different request (another file, route or options)`);
    }
    // Stored by this same code from a T.
    if (claim.answer !== null) return { submitted: claim.answer as T, replay: true };
    if (Date.now() > deadline) throw httpError(409, 'idempotency_key_in_use', 'The first request with this Idempotency-Key is still being handled; try again shortly');
    await sleep(POLL_MS);
  }
  let submitted: T;
  try {
    submitted = await submit();
  } catch (err) {
    await releaseKey(pool, key);
    throw err;
  }
  await recordKeyAnswer(pool, key, submitted, taskIdOf?.(submitted));
  return { submitted, replay: false };
}
