/**
 * The password rule of every entry point (docs/compatibility.md, "Authentication"): every protected route lives
 * under /{PASSWORD}. Instead of registering the
 * literal password as a route (which leaks it into route tables and docs and compares it in variable
 * time), `authenticate` compares the first path segment in constant time and strips it.
 * Clients that prefer a header (and Prometheus) may call the unprefixed /api/... routes, /metrics and
 * /ws with `Authorization: Bearer <PASSWORD>`. The HTTP routes, the WebSocket upgrade and the
 * worker's metrics port all go through `authenticate`: one rule, one constant-time comparison.
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
const takesBearer = (path: string) => path.startsWith('/api/') || path === '/metrics' || path === '/ws';

export interface Authenticated {
  /** The path without the password prefix. */
  path: string;
  /** The prefix the client used, e.g. "/pwd"; "" with a Bearer token or an empty PASSWORD. */
  prefix: string;
}

/** Who may call what: undefined for a wrong or missing password (answered like an unknown route). */
export function authenticate(path: string, authorization: string | undefined, password: string): Authenticated | undefined {
  if (password === '') return { path, prefix: '' };
  const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (bearer !== undefined && takesBearer(path)) return safeEqual(bearer, password) ? { path, prefix: '' } : undefined;
  const rest = stripPassword(path, password);
  return rest === undefined ? undefined : { path: rest, prefix: `/${password}` };
}
