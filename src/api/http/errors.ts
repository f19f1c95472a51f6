/**
 * HTTP errors: handlers throw `httpError(status, code, detail)` (or the task lifecycle a
 * TaskRefusal, whose HTTP status is decided here); one middleware turns every error into the JSON
 * shape `{detail, code}`. Unexpected errors are logged and answered with a bare 500.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { ErrorBody } from '../../contract/index.js';
import { TaskRefusal, type TaskRefusalCode } from '../../tasks/lifecycle.js';

export class HttpError extends Error {
  readonly expose = true;
  constructor(readonly status: number, readonly code: string, readonly detail: string) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const httpError = (status: number, code: string, detail: string) => new HttpError(status, code, detail);

/** What each refusal of the task lifecycle means for an HTTP client. */
const REFUSAL_STATUS: Record<TaskRefusalCode, number> = {
  task_not_running: 409,
  task_not_retryable: 409,
  task_not_finished: 409,
  // Both pass: the client may try again shortly.
  previous_run_active: 503,
  temporal_unavailable: 503,
};

/** The errors this API means to send: their status, code and detail go to the client as they are. */
function deliberate(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof TaskRefusal) return httpError(REFUSAL_STATUS[err.code], err.code, err.message);
  return undefined;
}

/** Koa's own errors (e.g. from ctx.throw or a body parser) carry a status and `expose`. */
interface KoaLikeError { status?: number; statusCode?: number; expose?: boolean; message?: string; code?: string }

const DEFAULT_CODES: Record<number, string> = {
  400: 'bad_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type',
};

export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw httpError(404, 'not_found', 'Not Found');
    } catch (err) {
      const known = deliberate(err);
      if (known) {
        // A 503 we chose to send (Temporal unreachable…) is worth a line; its detail is the client's.
        if (known.status >= 500) log.warn({ code: known.code, method: ctx.method }, known.detail);
        ctx.status = known.status;
        ctx.body = { detail: known.detail, code: known.code } satisfies ErrorBody;
        return;
      }
      const e = err as KoaLikeError;
      const status = e.status ?? e.statusCode ?? 500;
      if (status >= 500 || !e.expose) {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        ctx.status = status >= 400 && status < 600 ? status : 500;
        ctx.body = { detail: 'Internal server error', code: 'internal_error' } satisfies ErrorBody;
        return;
      }
      ctx.status = status;
      ctx.body = { detail: e.message ?? 'Bad request', code: DEFAULT_CODES[status] ?? 'bad_request' } satisfies ErrorBody;
    }
  };
}
