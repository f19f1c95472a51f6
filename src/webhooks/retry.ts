/** When a delivery that did not go through is tried again. */

const FIRST_DELAY_MS = 1_000;
/** Doubling from a second reaches this after 11 attempts (about 34 minutes in); then every half hour until the delivery gives up. */
const MAX_DELAY_MS = 30 * 60_000;

/**
 * The wait after failed attempt `attempt` (1 = the first): the receiver's Retry-After when it gave
 * one (at least a second, so a receiver cannot make us hammer it), else exponential backoff.
 */
export function retryDelayMs(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.max(FIRST_DELAY_MS, retryAfterMs);
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1));
}

/** A Retry-After header (delay-seconds or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would take "-3" for a year.
  const date = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
