/**
 * Page-level retries. Transient failures (rate limits, server errors, timeouts) are retried with
 * backoff, honouring Retry-After; a bad answer (a loop, a cut-off or empty reply, a refusal) is asked
 * again at once at a higher temperature, so no attempt repeats the one before it verbatim.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PageWarning } from '../contract/index.js';
import type { CallOptions, ImageInput, VisionClient, VisionReply } from './client.js';
import { VisionError, type TokenUsage, type VisionErrorKind } from './errors.js';

export interface RetryOptions {
  maxAttempts: number;
  /** The task's model and instructions, for every attempt. */
  call?: CallOptions;
  signal?: AbortSignal;
  /** Base of the exponential backoff; tests shorten it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Before each further attempt: what failed, after how many, the wait and the next temperature. */
  onRetry?: (error: VisionError, attempt: number, delayMs: number, temperature: number) => void;
}

export interface RecognizedPage {
  markdown: string;
  attempts: number;
  /** Tokens of every attempt, the failed and stopped ones included. */
  usage: TokenUsage;
  /** What went wrong on the attempts before the one that succeeded, in order (e.g. ['repetition']). */
  failures: VisionErrorKind[];
  /** The page's warnings: a retry a bad answer needed, then the clean-ups of the reply kept. */
  warnings: PageWarning[];
}

/** The bad answers a page is marked for when a later attempt succeeded. */
const RETRY_WARNINGS: Partial<Record<VisionErrorKind, PageWarning>> = {
  refused: 'retried_after_refusal',
  repetition: 'retried_after_repetition',
  truncated: 'retried_after_truncation',
  empty_reply: 'retried_after_empty_reply',
};

/**
 * Temperatures for the attempts after bad answers: 0 first (the most faithful transcription), then
 * higher. olmOCR found a rising temperature the best cure for loops; 0.8 is as far as a transcription
 * stays faithful, so later attempts stay there.
 */
export const TEMPERATURE_SCHEDULE: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8];

/** The temperature after `badAnswers` attempts that failed with a kind that raises it. */
export function temperatureAfter(badAnswers: number): number {
  return TEMPERATURE_SCHEDULE[Math.min(badAnswers, TEMPERATURE_SCHEDULE.length - 1)]!;
}

export function backoffDelay(attempt: number, error: VisionError, base: number, max: number): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, max);
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  // Full jitter spreads retries of many pages that failed together (a 503 burst) over time.
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * The tokens of all attempts. A stopped call never learned its prompt tokens; the request was the
 * same as the other attempts' but for the temperature, so it is counted with theirs (as an estimate).
 */
export function sumUsage(attempts: TokenUsage[]): TokenUsage {
  const reportedPrompt = attempts.find((u) => !u.estimated && u.promptTokens !== null)?.promptTokens ?? null;
  const add = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
  return attempts.reduce<TokenUsage>((sum, u) => {
    const reachedModel = u.completionTokens !== null || u.promptTokens !== null;
    const prompt = u.promptTokens ?? (u.estimated ? reportedPrompt : null);
    return {
      promptTokens: add(sum.promptTokens, prompt),
      completionTokens: add(sum.completionTokens, u.completionTokens),
      estimated: sum.estimated || (reachedModel && u.estimated),
    };
  }, { promptTokens: null, completionTokens: null, estimated: false });
}

/**
 * Calls the model until it answers or a failure is permanent or attempts run out; throws the last
 * VisionError (with `attempts` and the summed `usage` set on it) or the abort error when cancelled.
 */
export async function recognizeWithRetries(client: VisionClient, image: ImageInput, opts: RetryOptions): Promise<RecognizedPage> {
  const base = opts.baseDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 60_000;
  const usages: TokenUsage[] = [];
  const failures: VisionErrorKind[] = [];
  let badAnswers = 0;
  for (let attempt = 1; ; attempt++) {
    let reply: VisionReply;
    try {
      reply = await client.recognize(image, { ...opts.call, signal: opts.signal, temperature: temperatureAfter(badAnswers) });
    } catch (err) {
      if (!(err instanceof VisionError)) throw err; // cancellation or a bug: not ours to retry
      usages.push(err.usage);
      failures.push(err.kind);
      err.attempts = attempt;
      err.usage = sumUsage(usages);
      if (!err.retryable || attempt >= opts.maxAttempts) throw err;
      if (err.raisesTemperature) badAnswers++;
      // A bad answer is not a busy server: waiting would not change it, the temperature does.
      const delay = err.raisesTemperature ? 0 : backoffDelay(attempt, err, base, max);
      opts.onRetry?.(err, attempt, delay, temperatureAfter(badAnswers));
      if (delay > 0) await sleep(delay, undefined, { signal: opts.signal });
      continue;
    }
    usages.push(reply.usage);
    const usage = sumUsage(usages);
    const retried = [...new Set(failures.map((kind) => RETRY_WARNINGS[kind]).filter((w) => w !== undefined))];
    return {
      markdown: reply.markdown, attempts: attempt, usage, failures, warnings: [...retried, ...reply.warnings],
    };
  }
}
