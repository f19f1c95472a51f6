/**
 * The password rule of every entry point (docs/compatibility.md, "Authentication"): every protected route lives
 * under /{PASSWORD}. Instead of registering the
 * literal password as a route (which leaks it into route tables and docs and compares it in variable
 * time), `authenticate` compares the first path segment in constant time and strips it.
 * Clients that prefer a header (and Prometheus) may call the unprefixed /api/... routes, /metrics,
 * /ws and /mcp with `Authorization: Bearer <PASSWORD>`. Azure Document Intelligence clients (api/azure/) send
 * the password as their key in `Ocp-Apim-Subscription-Key`: with it they may call the unprefixed
 * /documentintelligence/... and /formrecognizer/... routes, and a key that is sent must be right
 * under the prefix too (a client configured with a stale key learns so, as from Azure). The HTTP
 * routes, the WebSocket upgrade and the worker's metrics port all go through `authenticate`: one
 * rule, one constant-time comparison.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time string equality (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The rest of `path` when its first segment is the password (compared in constant time), else
 * undefined. A malformed escape cannot be the password.
 */
function stripPassword(path: string, password: string): string | undefined {
  const match = /^\/([^/]*)(\/.*)?$/.exec(path);
  let segment = '';
  try {
    segment = decodeURIComponent(match?.[1] ?? '');
  } catch {
    // stays '' and fails the comparison below
  }
  return safeEqual(segment, password) ? (match?.[2] ?? '/') : undefined;
}

/** Unprefixed paths that take the password as `Authorization: Bearer` instead. */
const takesBearer = (path: string) => path.startsWith('/api/') || path === '/metrics' || path === '/ws' || path === '/mcp';

/** The Azure Document Intelligence–compatible routes, which take the password as a subscription key. */
export const isAzurePath = (path: string) => /^\/(documentintelligence|formrecognizer)(\/|$)/.test(path);

/** A request for an Azure route, under any first segment, before the gate (a wrong prefix is still an Azure client's). */
export const isAzureRequest = (path: string) => isAzurePath(path) || isAzurePath(path.replace(/^\/[^/]*/, ''));

/** What a request presents besides its path: `Authorization` and `Ocp-Apim-Subscription-Key`. */
export interface Credentials { authorization?: string | undefined; subscriptionKey?: string | undefined }

export interface Authenticated {
  /** The path without the password prefix. */
  path: string;
  /** The prefix the client used, e.g. "/pwd"; "" with a Bearer token or an empty PASSWORD. */
  prefix: string;
}

/**
 * Who may call what: undefined for a wrong or missing password (answered like an unknown route, or
 * on the Azure routes with Azure's 401). With an empty PASSWORD there is nothing to compare a key with.
 */
export function authenticate(path: string, { authorization, subscriptionKey: key }: Credentials, password: string): Authenticated | undefined {
  if (password === '') return { path, prefix: '' };
  const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (bearer !== undefined && takesBearer(path)) return safeEqual(bearer, password) ? { path, prefix: '' } : undefined;
  if (key !== undefined && isAzurePath(path)) return safeEqual(key, password) ? { path, prefix: '' } : undefined;
  const rest = stripPassword(path, password);
  if (rest === undefined) return undefined;
  if (key !== undefined && isAzurePath(rest) && !safeEqual(key, password)) return undefined;
  return { path: rest, prefix: `/${password}` };
}
