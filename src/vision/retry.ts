/** Page-level retries: transient model failures are retried with backoff, honouring Retry-After. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageInput, VisionClient, VisionReply } from './client.js';
import { VisionError } from './errors.js';

export interface RetryOptions {
  maxAttempts: number;
  signal?: AbortSignal;
  /** Base of the exponential backoff; tests shorten it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: VisionError, attempt: number, delayMs: number) => void;
}

export interface RecognizedPage extends VisionReply { attempts: number }

export function backoffDelay(attempt: number, error: VisionError, base: number, max: number): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, max);
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  // Full jitter spreads retries of many pages that failed together (a 503 burst) over time.
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * Calls the model until it answers or a failure is permanent or attempts run out; throws the last
 * VisionError (with `attempts` set on it) or the abort error when cancelled.
 */
export async function recognizeWithRetries(client: VisionClient, image: ImageInput, opts: RetryOptions): Promise<RecognizedPage> {
  const base = opts.baseDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await client.recognize(image, opts.signal);
      return { ...reply, attempts: attempt };
    } catch (err) {
      if (!(err instanceof VisionError)) throw err; // cancellation or a bug: not ours to retry
      err.attempts = attempt;
      if (!err.retryable || attempt >= opts.maxAttempts) throw err;
      const delay = backoffDelay(attempt, err, base, max);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: opts.signal });
    }
  }
}
