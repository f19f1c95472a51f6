/**
 * The worker's metrics port: GET /metrics in Prometheus text, behind the same password rules as the
 * API (`/{PASSWORD}/metrics` or `Authorization: Bearer`; plain `/metrics` only with METRICS_PUBLIC).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { bearerToken, safeEqual, stripPassword } from '../api/auth.js';
import type { Metrics } from './registry.js';
import { metricsText } from './http.js';

export interface MetricsAccess { password: string; public: boolean }

/** Whether a request for `pathname` may read the metrics. */
export function mayReadMetrics(pathname: string, authorization: string | undefined, access: MetricsAccess): boolean {
  if (pathname === '/metrics') {
    if (access.public || access.password === '') return true;
    const bearer = bearerToken(authorization);
    return bearer !== undefined && safeEqual(bearer, access.password);
  }
  return access.password !== '' && stripPassword(pathname, access.password) === '/metrics';
}

export async function startMetricsServer(opts: {
  port: number; metrics: Metrics; access: MetricsAccess; sdkMetricsUrl?: string; log: Logger;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || !mayReadMetrics(pathname, req.headers.authorization, opts.access)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Not Found', code: 'not_found' }));
      return;
    }
    metricsText(opts.metrics, opts.sdkMetricsUrl).then(
      (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
      (err: unknown) => {
        opts.log.error({ err }, 'could not collect metrics');
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Internal server error', code: 'internal_error' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'worker metrics listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
