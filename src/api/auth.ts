/**
 * The seed's auth scheme: every protected route lives under /{PASSWORD}. Instead of registering the
 * literal password as a route (which leaks it into route tables and docs and compares it in variable
 * time), this middleware compares the first path segment in constant time and strips it.
 * Clients that prefer a header may call the unprefixed /api/... routes with
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

export function requirePassword(password: string): Middleware<AuthState> {
  return async (ctx, next) => {
    if (password === '') {
      ctx.state.prefix = '';
      await next();
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    if (bearer !== undefined && ctx.path.startsWith('/api/')) {
      if (!safeEqual(bearer, password)) throw httpError(404, 'not_found', 'Not Found');
      ctx.state.prefix = '';
      await next();
      return;
    }
    const match = /^\/([^/]*)(\/.*)?$/.exec(ctx.path);
    let segment = '';
    try {
      segment = decodeURIComponent(match?.[1] ?? '');
    } catch {
      // A malformed escape cannot be the password.
    }
    // A wrong password looks exactly like an unknown route, as in the seed.
    if (!safeEqual(segment, password)) throw httpError(404, 'not_found', 'Not Found');
    ctx.state.prefix = `/${password}`;
    ctx.path = match?.[2] ?? '/';
    await next();
  };
}
