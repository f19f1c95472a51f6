/** HTTP request durations and the Prometheus exposition of a process's metrics. */
import type { Middleware } from 'koa';
import type { Metrics } from './registry.js';

/**
 * Times every request by the route template it matched. Labels never carry the path itself: task
 * ids would make one series per task, and the password prefix must not end up in a metric.
 */
export function measureRequests(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const stop = metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      stop({ method: ctx.method, route: typeof route === 'string' ? route : 'unmatched', status: String(ctx.status) });
    }
  };
}

/**
 * Our registry, followed by the Temporal SDK's own metrics when its exporter runs in this process
 * (Runtime telemetry, on an internal port): one scrape target per process.
 */
export async function metricsText(metrics: Metrics, sdkMetricsUrl?: string): Promise<string> {
  const ours = await metrics.registry.metrics();
  if (!sdkMetricsUrl) return ours;
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    return `${ours}\n${await res.text()}`;
  } catch {
    // The SDK exporter is an extra: our own metrics still answer.
    return ours;
  }
}
