/**
 * Prometheus metrics of one process (prom-client). One registry per process, made by its
 * composition root and passed to what records into it (`ocr dev` shares one between its API and
 * worker), so tests that run several stacks in one process never mix their numbers.
 * Gauges of shared state (tasks by status, WebSockets) are read when scraped, not kept up to date.
 */
import client from 'prom-client';

/** Seconds; model calls take from a second to minutes. */
const MODEL_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
const RENDER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds from an event to its delivery: well under a second normally, hours for a receiver that was down. */
const WEBHOOK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ocr_' });
  const registers = [registry];
  return {
    registry,
    httpDuration: new client.Histogram({
      name: 'ocr_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),
    pages: new client.Counter({
      name: 'ocr_pages_processed_total',
      help: 'Pages recognised (status="completed") or recorded as failed (status="failed")',
      labelNames: ['status'] as const,
      registers,
    }),
    modelCallDuration: new client.Histogram({
      name: 'ocr_model_call_duration_seconds',
      help: 'Model calls by outcome ("ok" or the error class)',
      labelNames: ['outcome'] as const,
      buckets: MODEL_BUCKETS,
      registers,
    }),
    modelCallsInFlight: new client.Gauge({ name: 'ocr_model_calls_in_flight', help: 'Model calls waiting for an answer', registers }),
    retries: new client.Counter({
      name: 'ocr_model_retries_total',
      help: 'Model calls retried, by the error class of the failed attempt',
      labelNames: ['error_class'] as const,
      registers,
    }),
    tokens: new client.Counter({
      name: 'ocr_model_tokens_total',
      help: 'Tokens of every model call, by kind ("prompt" = input, "completion" = output), model and the call\'s outcome ("ok" or the error class); a stopped call\'s completion is estimated from what it wrote',
      labelNames: ['kind', 'model', 'outcome'] as const,
      registers,
    }),
    webhookDeliveries: new client.Counter({
      name: 'ocr_webhook_deliveries_total',
      help: 'Webhook deliveries (one event to one receiver) by event and outcome ("delivered", or "failed": refused by the receiver or out of time)',
      labelNames: ['event', 'outcome'] as const,
      registers,
    }),
    webhookAttempts: new client.Counter({
      name: 'ocr_webhook_attempts_total',
      help: 'Webhook delivery attempts by event and result ("delivered", "retry": to be tried again, "refused": never again)',
      labelNames: ['event', 'result'] as const,
      registers,
    }),
    webhookLatency: new client.Histogram({
      name: 'ocr_webhook_delivery_latency_seconds',
      help: 'From a webhook event to its delivery, retries included, by event',
      labelNames: ['event'] as const,
      buckets: WEBHOOK_BUCKETS,
      registers,
    }),
    renderDuration: new client.Histogram({
      name: 'ocr_page_render_duration_seconds',
      help: 'Preparing a page image for the model (PDF render or image conversion, with the wait for a free thread), by source',
      labelNames: ['source'] as const,
      buckets: RENDER_BUCKETS,
      registers,
    }),
    previews: new client.Counter({
      name: 'ocr_page_previews_total',
      help: 'Page images served for review (GET /api/tasks/{id}/pages/{n}/image), by where they came from ("cache" on disk, "render", "not_modified")',
      labelNames: ['source'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A gauge read at each scrape: one value, or one per label value when `labelName` is given. */
export function gaugeFromSource(
  metrics: Metrics,
  spec: { name: string; help: string; labelName?: string },
  read: () => Promise<number | Record<string, number>> | number | Record<string, number>,
): void {
  new client.Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelName ? [spec.labelName] : [],
    registers: [metrics.registry],
    async collect() {
      const value = await read();
      this.reset();
      if (typeof value === 'number') this.set(value);
      else for (const [label, n] of Object.entries(value)) this.set({ [spec.labelName!]: label }, n);
    },
  });
}
