/** GET /health and /healthz (no password): 200 when Postgres and Temporal answer, else 503 with why. */
import Router, { type RouterMiddleware } from '@koa/router';
import type { ApiDeps } from '../../deps.js';
import { CHECK_TIMEOUT_MS, healthAnswer, probe } from '../../../health.js';

/** 'ok', or why not, for Postgres and Temporal. */
export async function dependencyChecks(deps: ApiDeps): Promise<Record<string, string>> {
  const connection = deps.temporalConnection;
  return Object.fromEntries(await Promise.all([
    probe('database', () => deps.pool.query('select 1')),
    probe('temporal', () => connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => connection.healthService.check({}))),
  ]));
}

export function healthRoutes(deps: ApiDeps): Router {
  const router = new Router();

  const handler: RouterMiddleware = async (ctx) => {
    const { status, body } = healthAnswer(await dependencyChecks(deps));
    ctx.status = status;
    ctx.body = body;
  };
  router.get('/health', handler);
  router.get('/healthz', handler);
  return router;
}
