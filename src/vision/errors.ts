/**
 * Every failure of a model call becomes a VisionError of one kind, and this file's table alone decides
 * what each kind means: retry or not, and whether it dooms only the page or the whole task.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

export type VisionErrorKind =
  | 'auth' // 401/403: the key is wrong or lacks access
  | 'model_not_found' // 404: wrong MODEL or API_BASE_URL
  | 'bad_request' // other 4xx: the service refuses this image
  | 'output_limit' // a 4xx about the output bound's value (more than the model allows): MAX_OUTPUT_TOKENS
  | 'rate_limited' // 429
  | 'server_error' // 5xx, 408, 409
  | 'timeout' // no answer within API_TIMEOUT
  | 'connection' // refused, reset, DNS
  | 'empty_reply' // 200 with no text
  | 'truncated' // finish_reason "length": the Markdown was cut off
  | 'repetition' // the reply ended in a loop (repetition.ts) and the call was stopped
  | 'refused' // the model answered with a refusal instead of the page (answer.ts)
  | 'content_filtered'; // finish_reason "content_filter"

interface KindRule {
  retryable: boolean;
  /** `task`: no other page can succeed either (bad key, wrong model), so the task fails fast. */
  scope: 'page' | 'task';
  /**
   * The model itself answered badly: the next attempt goes at once, at the next temperature of
   * retry.ts's schedule, since the same request would likely get the same answer. The others wait
   * out a backoff (or Retry-After) and ask the same again.
   */
  raisesTemperature?: true;
}

const RULES: Record<VisionErrorKind, KindRule> = {
  auth: { retryable: false, scope: 'task' },
  model_not_found: { retryable: false, scope: 'task' },
  bad_request: { retryable: false, scope: 'page' },
  // Every page would be refused the same way until MAX_OUTPUT_TOKENS is lowered.
  output_limit: { retryable: false, scope: 'task' },
  rate_limited: { retryable: true, scope: 'page' },
  server_error: { retryable: true, scope: 'page' },
  timeout: { retryable: true, scope: 'page' },
  connection: { retryable: true, scope: 'page' },
  empty_reply: { retryable: true, scope: 'page', raisesTemperature: true },
  truncated: { retryable: true, scope: 'page', raisesTemperature: true },
  repetition: { retryable: true, scope: 'page', raisesTemperature: true },
  refused: { retryable: true, scope: 'page', raisesTemperature: true },
  content_filtered: { retryable: false, scope: 'page' },
};

/**
 * Tokens of one call, or summed over a page's attempts. `null`: no count is known (a server that
 * reports no usage, a call that failed before the model wrote anything). `estimated`: some of it was
 * not reported but estimated, for a call stopped before its usage arrived.
 */
export interface TokenUsage {
  promptTokens: number | null;
  completionTokens: number | null;
  estimated: boolean;
}

export const NO_USAGE: TokenUsage = Object.freeze({ promptTokens: null, completionTokens: null, estimated: false });

export class VisionError extends Error {
  readonly retryable: boolean;
  readonly scope: 'page' | 'task';
  readonly raisesTemperature: boolean;
  /** How many calls were made before giving up; set by the retry loop. */
  attempts = 1;
  /** Tokens the failed call used (the client sets it); the retry loop replaces it by the sum of all attempts. */
  usage: TokenUsage = NO_USAGE;

  constructor(
    readonly kind: VisionErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'VisionError';
    this.retryable = RULES[kind].retryable;
    this.scope = RULES[kind].scope;
    this.raisesTemperature = RULES[kind].raisesTemperature ?? false;
  }
}

const OUTPUT_BOUND_FIELD = /\bmax_(completion_)?tokens\b/;

function kindForStatus(status: number): VisionErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'model_not_found';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 409 || status >= 500) return 'server_error';
  return 'bad_request';
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, as milliseconds; undefined when absent. */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What the messages name: where calls go, and the settings a message may tell the user to change. */
export interface VisionContext { baseUrl: string; model: string; maxOutputTokens: number }

/** What the user should do about a kind, appended to the upstream message. */
function advice(kind: VisionErrorKind, ctx: VisionContext): string {
  switch (kind) {
    case 'auth':
      return `check OPENAI_API_KEY: the service at ${ctx.baseUrl} does not accept it`;
    case 'model_not_found':
      return `check MODEL (${ctx.model}) and API_BASE_URL (${ctx.baseUrl})`;
    case 'bad_request':
      return 'the model service refused this image';
    case 'output_limit':
      return `lower MAX_OUTPUT_TOKENS (now ${ctx.maxOutputTokens}) to what ${ctx.model} allows`;
    case 'timeout':
      return 'no answer within API_TIMEOUT; raise it for slow models';
    case 'connection':
      return `could not reach ${ctx.baseUrl}; check API_BASE_URL and the network`;
    default:
      return '';
  }
}

/** Upstream text can be long or contain markup; keep a short single line of it. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Normalises anything a model call threw. Cancellation (an aborted request) is not classified: it is
 * returned as is so the caller re-throws it.
 */
export function classifyVisionError(err: unknown, ctx: VisionContext): VisionError | APIUserAbortError {
  if (err instanceof VisionError || err instanceof APIUserAbortError) return err;
  let kind: VisionErrorKind;
  let detail: string;
  let retryAfterMs: number | undefined;
  if (err instanceof APIConnectionTimeoutError) {
    kind = 'timeout';
    detail = 'request timed out';
  } else if (err instanceof APIConnectionError) {
    kind = 'connection';
    detail = excerpt(String((err.cause as Error | undefined)?.message ?? err.message));
  } else if (err instanceof APIError && typeof err.status === 'number') {
    kind = kindForStatus(err.status);
    // A server that does not take the field at all was asked again without it (server-features.ts);
    // one that still names it refuses its value ("max_tokens is too large: 8192…").
    if (kind === 'bad_request' && OUTPUT_BOUND_FIELD.test(err.message)) kind = 'output_limit';
    detail = `HTTP ${err.status}: ${excerpt(err.message)}`;
    retryAfterMs = parseRetryAfter(err.headers as Headers | undefined);
  } else {
    kind = 'connection';
    detail = excerpt(err instanceof Error ? err.message : String(err));
  }
  const hint = advice(kind, ctx);
  return new VisionError(kind, hint ? `${detail} (${hint})` : detail, retryAfterMs, { cause: err });
}
