/** GET /health and /healthz (no password): 200 when Postgres and Temporal answer, else 503 with why. */
import Router, { type RouterMiddleware } from '@koa/router';
import type { ApiDeps } from '../deps.js';

const CHECK_TIMEOUT_MS = 3000;

async function probe(name: string, check: () => Promise<unknown>): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS); }),
    ]);
    return [name, 'ok'];
  } catch (err) {
    return [name, (err as Error).message || String(err)];
  } finally {
    clearTimeout(timer);
  }
}

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
    const checks = await dependencyChecks(deps);
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = failing.length === 0
      ? { status: 'healthy', timestamp: new Date().toISOString(), checks }
      : { status: 'unhealthy', timestamp: new Date().toISOString(), reason: failing.map(([k, v]) => `${k}: ${v}`).join('; '), checks };
  };
  router.get('/health', handler);
  router.get('/healthz', handler);
  return router;
}
