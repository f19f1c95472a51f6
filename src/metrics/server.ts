/**
 * The worker's metrics port: GET /metrics in Prometheus text, behind the same password rules as the
 * API (`/{PASSWORD}/metrics` or `Authorization: Bearer`; plain `/metrics` only with METRICS_PUBLIC),
 * and GET /healthz (public, like the API's) for container health checks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { authenticate } from '../auth.js';
import { healthAnswer } from '../health.js';
import type { Metrics } from './registry.js';
import { metricsText } from './http.js';

export interface MetricsAccess { password: string; public: boolean }

/** Whether a request for `pathname` may read the metrics: the API's password rule, or METRICS_PUBLIC. */
export function mayReadMetrics(pathname: string, authorization: string | undefined, access: MetricsAccess): boolean {
  if (access.public && pathname === '/metrics') return true;
  return authenticate(pathname, { authorization }, access.password)?.path === '/metrics';
}

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export async function startMetricsServer(opts: {
  port: number; metrics: Metrics; access: MetricsAccess; sdkMetricsUrl?: string; log: Logger;
  /** 'ok', or why not, per check: the worker's state and its database. */
  health: () => Promise<Record<string, string>>;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && pathname === '/healthz') {
      opts.health().then((checks) => {
        const { status, body } = healthAnswer(checks);
        json(res, status, body);
      }, (err: unknown) => json(res, 503, { status: 'unhealthy', reason: String(err) }));
      return;
    }
    if (req.method !== 'GET' || !mayReadMetrics(pathname, req.headers.authorization, opts.access)) {
      json(res, 404, { detail: 'Not Found', code: 'not_found' });
      return;
    }
    metricsText(opts.metrics, opts.sdkMetricsUrl).then(
      (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
      (err: unknown) => {
        opts.log.error({ err }, 'could not collect metrics');
        json(res, 500, { detail: 'Internal server error', code: 'internal_error' });
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
