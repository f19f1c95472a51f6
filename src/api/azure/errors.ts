/**
 * Errors of the Azure Document Intelligence–compatible routes, in Azure's shape and with its status
 * codes (its REST error guide): `{"error": {"code", "message", "innererror": {"code", "message"}}}`,
 * the top-level code one of a fixed list, what went wrong in `innererror`. The routes throw
 * `azureError(...)`; what the shared code throws (HttpError, TaskRefusal, Koa's own errors) is
 * translated here, by one table, so an Azure client never sees our `{detail, code}`.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { isAzureRequest } from '../../auth.js';
import { UnreadableExportError } from '../../export/pdf-exports.js';
import { TaskRefusal } from '../../tasks/lifecycle.js';
import { HttpError } from '../http/errors.js';

export interface AzureInnerError { code: string; message: string }
export interface AzureErrorBody { error: { code: string; message: string; innererror?: AzureInnerError } }

/** The top-level codes of Azure's error guide: their status and their (fixed) message. */
const TOP = {
  InvalidRequest: [400, 'Invalid request.'],
  InvalidArgument: [400, 'Invalid argument.'],
  NotFound: [404, 'Resource not found.'],
  MethodNotAllowed: [405, "The requested HTTP method isn't allowed."],
  Conflict: [409, "The request couldn't be completed due to a conflict."],
  UnsupportedMediaType: [415, "Request content type isn't supported."],
  InternalServerError: [500, 'An unexpected error occurred.'],
  ServiceUnavailable: [503, 'A transient error has occurred. Try again.'],
} as const satisfies Record<string, readonly [number, string]>;
export type AzureCode = keyof typeof TOP;

export class AzureError extends Error {
  constructor(readonly status: number, readonly body: AzureErrorBody) {
    super(body.error.innererror?.message ?? body.error.message);
    this.name = 'AzureError';
  }
}

/** An error of Azure's guide: the top-level `code`, and what went wrong as `innererror`. */
export function azureError(code: AzureCode, innerCode?: string, innerMessage?: string): AzureError {
  const [status, message] = TOP[code];
  const innererror = innerCode === undefined ? {} : { innererror: { code: innerCode, message: innerMessage ?? message } };
  return new AzureError(status, { error: { code, message, ...innererror } });
}

/**
 * What Azure's gateway answers before the service sees a request: a code that is the status, no
 * innererror. 401 for a missing or wrong key; 404 for a path or api-version it does not serve.
 */
export function gatewayError(status: 401 | 404, message: string): AzureError {
  return new AzureError(status, { error: { code: String(status), message } });
}

export const ACCESS_DENIED = 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

/** Our error codes (HttpError, TaskRefusal) as Azure says them; `message` replaces our detail where Azure has its own words. */
const FROM_OURS: Record<string, { code: AzureCode; inner: string; message?: string }> = {
  file_too_large: { code: 'InvalidRequest', inner: 'InvalidContentLength' },
  empty_file: { code: 'InvalidRequest', inner: 'InvalidContent' },
  unsupported_file_type: { code: 'InvalidRequest', inner: 'InvalidContent' },
  pdf_corrupt: { code: 'InvalidRequest', inner: 'InvalidContent' },
  pdf_encrypted: { code: 'InvalidRequest', inner: 'InvalidContent' },
  pdf_no_pages: { code: 'InvalidRequest', inner: 'InvalidContent' },
  image_corrupt: { code: 'InvalidRequest', inner: 'InvalidContent' },
  image_too_large: { code: 'InvalidRequest', inner: 'InvalidContentDimensions' },
  pdf_too_many_pages: { code: 'InvalidRequest', inner: 'UnsupportedContent' },
  image_too_many_pages: { code: 'InvalidRequest', inner: 'UnsupportedContent' },
  invalid_option: { code: 'InvalidArgument', inner: 'InvalidParameter' },
  upload_aborted: { code: 'InvalidRequest', inner: 'ContentSourceTimeout' },
  task_not_found: { code: 'NotFound', inner: 'OperationNotFound', message: "The requested operation wasn't found. The identifier is invalid or the operation has expired." },
  temporal_unavailable: { code: 'ServiceUnavailable', inner: 'ServiceUnavailable' },
  previous_run_active: { code: 'ServiceUnavailable', inner: 'ServiceUnavailable' },
};

/** Errors with a status but no code of ours (Koa's 405, a body parser's 413) by their status. */
const BY_STATUS: Partial<Record<number, AzureCode>> = {
  400: 'InvalidRequest', 405: 'MethodNotAllowed', 409: 'Conflict', 413: 'InvalidRequest', 415: 'UnsupportedMediaType', 503: 'ServiceUnavailable',
};

interface KoaLikeError { status?: number; statusCode?: number; expose?: boolean; message?: string }

/** The Azure error for anything thrown; undefined for a fault of ours (answered 500 and logged). */
function translate(err: unknown): AzureError | undefined {
  if (err instanceof AzureError) return err;
  // The file passed the upload's checks but could not be made into a PDF: the file's doing, not ours.
  if (err instanceof UnreadableExportError) return azureError('InvalidRequest', 'UnsupportedContent', err.message);
  if (err instanceof HttpError || err instanceof TaskRefusal) {
    const detail = err instanceof HttpError ? err.detail : err.message;
    if (err.code === 'access_denied') return gatewayError(401, ACCESS_DENIED);
    if (err.code === 'not_found') return gatewayError(404, 'Resource not found');
    const known = FROM_OURS[err.code];
    if (known) return azureError(known.code, known.inner, known.message ?? detail);
    const status = err instanceof HttpError ? err.status : 503;
    return azureError(BY_STATUS[status] ?? 'InvalidRequest', err.code, detail);
  }
  const e = err as KoaLikeError;
  const status = e.status ?? e.statusCode ?? 500;
  if (status >= 500 || !e.expose) return undefined;
  if (status === 404) return gatewayError(404, 'Resource not found');
  return azureError(BY_STATUS[status] ?? 'InvalidRequest', undefined, e.message);
}

/**
 * Gives every answer on an Azure path (before the password gate too, so its 401 is Azure's) Azure's
 * error shape and an `apim-request-id`, as Azure's gateway does; other paths pass untouched.
 */
export function azureErrors(log: Logger): Middleware {
  return async (ctx, next) => {
    if (!isAzureRequest(ctx.path)) {
      await next();
      return;
    }
    ctx.set('apim-request-id', randomUUID());
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw gatewayError(404, 'Resource not found');
    } catch (err) {
      const known = translate(err);
      if (known && known.status >= 500) log.warn({ code: known.body.error.innererror?.code, method: ctx.method }, known.message);
      if (!known) log.error({ err, method: ctx.method, route: (ctx as { _matchedRoute?: unknown })._matchedRoute }, 'request failed');
      const answer = known ?? azureError('InternalServerError');
      ctx.status = answer.status;
      ctx.body = answer.body;
    }
  };
}
