/**
 * GET /metrics: Prometheus text of this process (ours, plus the Temporal SDK's when a worker runs
 * here). Behind the password (`/{PASSWORD}/metrics` or Bearer) unless METRICS_PUBLIC is set, in
 * which case app.ts mounts the router before the password gate too.
 */
import Router from '@koa/router';
import type { ApiDeps } from '../../deps.js';
import { metricsText } from '../../../metrics/http.js';

export function metricsRoutes(deps: ApiDeps): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await metricsText(deps.metrics, deps.sdkMetricsUrl);
  });
  return router;
}
