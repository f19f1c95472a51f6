/**
 * One log line per request. The path is logged only once the password gate has stripped it (a
 * refused request logs no path: a mistyped password is nearly the password), and routes that are
 * polled — health checks, metrics scrapes, the page's static files — log at debug, so a quiet
 * service has a quiet log.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const POLLED = /^\/(health|healthz|metrics|static\/|docs)/;

export function logRequests(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const matched = typeof route === 'string';
      const line = {
        method: ctx.method,
        route: matched ? route : null,
        path: matched ? ctx.path : null,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        bytes: ctx.length ?? null,
      };
      const polled = matched && POLLED.test(route);
      log[polled ? 'debug' : 'info'](line, 'request');
    }
  };
}
