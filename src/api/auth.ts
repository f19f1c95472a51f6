/**
 * The seed's auth scheme: every protected route lives under /{PASSWORD}. Instead of registering the
 * literal password as a route (which leaks it into route tables and docs and compares it in variable
 * time), this middleware compares the first path segment in constant time and strips it.
 * Clients that prefer a header (and Prometheus) may call the unprefixed /api/... routes and /metrics with
 * `Authorization: Bearer <PASSWORD>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { httpError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time string equality (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export interface AuthState { /** The path prefix the client used, e.g. "/pwd"; "" when PASSWORD is empty. */ prefix: string }

/**
 * The rest of `path` when its first segment is the password (compared in constant time), else
 * undefined. A malformed escape cannot be the password.
 */
export function stripPassword(path: string, password: string): string | undefined {
  const match = /^\/([^/]*)(\/.*)?$/.exec(path);
  let segment = '';
  try {
    segment = decodeURIComponent(match?.[1] ?? '');
  } catch {
    // stays '' and fails the comparison below
  }
  return safeEqual(segment, password) ? (match?.[2] ?? '/') : undefined;
}

/** A bearer token from an Authorization header, if any. */
export const bearerToken = (header: string | undefined) => /^Bearer (.+)$/.exec(header ?? '')?.[1];

export function requirePassword(password: string): Middleware<AuthState> {
  return async (ctx, next) => {
    if (password === '') {
      ctx.state.prefix = '';
      await next();
      return;
    }
    const bearer = bearerToken(ctx.get('authorization'));
    if (bearer !== undefined && (ctx.path.startsWith('/api/') || ctx.path === '/metrics')) {
      if (!safeEqual(bearer, password)) throw httpError(404, 'not_found', 'Not Found');
      ctx.state.prefix = '';
      await next();
      return;
    }
    const rest = stripPassword(ctx.path, password);
    // A wrong password looks exactly like an unknown route, as in the seed.
    if (rest === undefined) throw httpError(404, 'not_found', 'Not Found');
    ctx.state.prefix = `/${password}`;
    ctx.path = rest;
    await next();
  };
}
