/** The Koa application: public routes, then the password gate, then the protected routes. */
import Koa from 'koa';
import type { ApiDeps } from './deps.js';
import { errorMiddleware } from './http/errors.js';
import { requirePassword, type AuthState } from './http/auth.js';
import { healthRoutes } from './http/routes/health.js';
import { docsRoutes } from './openapi/routes.js';
import { submitRoutes } from './http/routes/submit.js';
import { taskRoutes } from './http/routes/tasks.js';
import { pageRoutes } from './http/routes/pages.js';
import { exportRoutes } from './http/routes/export.js';
import { controlRoutes } from './http/routes/control.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { systemRoutes } from './http/routes/system.js';
import { measureRequests } from '../metrics/http.js';
import { logRequests } from './http/request-log.js';
import { uploadCors, webAppRoutes, webPublicRoutes } from './web/routes.js';
import { azureErrors } from './azure/errors.js';
import { azureRoutes } from './azure/routes.js';
import { mcpRoutes } from './http/routes/mcp.js';

export function createApp(deps: ApiDeps): Koa<AuthState> {
  const app = new Koa<AuthState>();
  // Behind a reverse proxy the client address comes from X-Forwarded-For.
  app.proxy = true;
  // Outside the error middleware, so the status it sets for an error is the one measured.
  app.use(measureRequests(deps.metrics));
  app.use(logRequests(deps.log));
  app.use(errorMiddleware(deps.log));
  // Azure's error shape on the Azure routes, the password gate's refusals included.
  app.use(azureErrors(deps.log));

  const health = healthRoutes(deps);
  app.use(health.routes());
  app.use(uploadCors(deps.config));
  app.use(webPublicRoutes(deps).routes());
  app.use(docsRoutes(deps).routes());

  const metrics = metricsRoutes(deps);
  if (deps.config.metrics.public) app.use(metrics.routes());

  app.use(requirePassword(deps.config.http.password));
  for (const router of [submitRoutes(deps), taskRoutes(deps), pageRoutes(deps), exportRoutes(deps), controlRoutes(deps), systemRoutes(deps), azureRoutes(deps), mcpRoutes(deps), metrics, webAppRoutes(deps)]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
