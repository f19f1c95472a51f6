/**
 * HTTP errors: handlers throw `httpError(status, code, detail)`; one middleware turns every error
 * into the JSON shape `{detail, code}`. Unexpected errors are logged and answered with a bare 500.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

export class HttpError extends Error {
  readonly expose = true;
  constructor(readonly status: number, readonly code: string, readonly detail: string) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const httpError = (status: number, code: string, detail: string) => new HttpError(status, code, detail);

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
      const e = err as KoaLikeError;
      const status = err instanceof HttpError ? err.status : (e.status ?? e.statusCode ?? 500);
      if (status >= 500 || !(err instanceof HttpError || e.expose)) {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        ctx.status = status >= 400 && status < 600 ? status : 500;
        ctx.body = { detail: 'Internal server error', code: 'internal_error' };
        return;
      }
      ctx.status = status;
      ctx.body = err instanceof HttpError
        ? { detail: err.detail, code: err.code }
        : { detail: e.message ?? 'Bad request', code: DEFAULT_CODES[status] ?? 'bad_request' };
    }
  };
}
