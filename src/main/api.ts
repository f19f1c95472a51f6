/** Starts the HTTP API (Koa) with its Temporal client. */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { createApp } from '../api/app.js';
import type { Config } from '../config.js';
import { createPdfPool } from '../pdf/pool.js';
import { openDiskCache } from '../previews/disk-cache.js';
import { createPagePreviews } from '../previews/page-previews.js';
import { createPdfExports } from '../export/pdf-exports.js';
import { filesCacheDir } from '../store/files.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { createTaskLifecycle } from '../tasks/lifecycle.js';
import { listenForTaskEvents } from '../store/events.js';
import { createTaskHub } from '../api/ws/hub.js';
import { attachWebSocket } from '../api/ws/upgrade.js';
import { createMetrics, gaugeFromSource, type Metrics } from '../metrics/registry.js';
import { countTasks } from '../store/stats.js';
import type { Pool } from '../store/pool.js';
import type { Lifecycle } from './lifecycle.js';

export interface RunningApi { server: http.Server; port: number }

export interface ApiOptions {
  /** `ocr dev` shares one registry between its worker and API. */
  metrics?: Metrics;
  /** The Temporal SDK's own metrics, exported by this process's runtime when a worker runs here. */
  sdkMetricsUrl?: string;
}

export async function startApi(config: Config, pool: Pool, log: Logger, lifecycle: Lifecycle, options: ApiOptions = {}): Promise<RunningApi> {
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required for the API');
  const databaseUrl = config.databaseUrl;
  if (!databaseUrl) throw new Error('DATABASE_URL is required for the API');
  const connection = await Connection.connect({ address: config.temporal.address });
  lifecycle.defer('api temporal connection', () => connection.close());
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  // Before the first start: runs started without the attributes stay unfilterable in the Web UI.
  await ensureSearchAttributes(connection, config.temporal.namespace, log);

  // One thread is plenty: the API only opens PDFs to count their pages.
  const pdf = createPdfPool(1);
  lifecycle.defer('api pdf thread', () => pdf.close());
  // Page images for review on threads of their own: a burst of thumbnails must not hold up the
  // inspection of an upload (nor any route: nothing is drawn on the event loop).
  const threads = Math.min(2, availableParallelism());
  const previewThreads = createPdfPool(threads, { niceness: 10 });
  lifecycle.defer('api preview threads', () => previewThreads.close());
  const previews = createPagePreviews({
    pool, pdf: previewThreads, filesDir: filesCacheDir(config), inFlight: 2 * threads,
    cache: await openDiskCache(path.join(config.dataDir, 'cache', 'pages'), config.pageImageCacheBytes),
  });
  // Searchable PDFs on a thread of their own that goes soon after: making one holds the whole
  // document in its WebAssembly memory, which is given back only when the thread ends.
  const exportThread = createPdfPool(1, { niceness: 10, idleTimeout: 5_000, minThreads: 0 });
  lifecycle.defer('api export thread', () => exportThread.close());
  const pdfExports = createPdfExports({
    pool, pdf: exportThread, filesDir: filesCacheDir(config),
    cache: await openDiskCache(path.join(config.dataDir, 'cache', 'exports'), config.pdfExportCacheBytes),
  });
  const wsLog = log.child({ component: 'websocket' });
  const hub = createTaskHub({ db: pool, log: wsLog, pricing: config.pricing, pingIntervalMs: config.http.wsPingIntervalMs });
  const metrics = options.metrics ?? createMetrics();
  // Read at each scrape: shared state, counted where it lives.
  gaugeFromSource(metrics, { name: 'ocr_tasks', help: 'Tasks by status (all API and worker processes)', labelName: 'status' }, async () => {
    const totals: Record<string, number> = {};
    for (const row of await countTasks(pool)) totals[row.status] = (totals[row.status] ?? 0) + row.count;
    return totals;
  });
  gaugeFromSource(metrics, { name: 'ocr_websocket_connections', help: 'Open WebSocket connections to this API process' }, () => hub.stats().active_connections);
  gaugeFromSource(metrics, { name: 'ocr_websocket_subscriptions', help: 'Task subscriptions of this API process\'s WebSockets' }, () => hub.stats().total_task_subscriptions);

  const tasks = createTaskLifecycle({ pool, temporal, config, log: log.child({ component: 'tasks' }) });
  let selfUrl = '';
  const app = createApp({
    config, pool, temporal, tasks, temporalConnection: connection, pdf, previews, pdfExports, metrics, sdkMetricsUrl: options.sdkMetricsUrl,
    websocketStats: () => hub.stats(), log: log.child({ component: 'api' }), selfUrl: () => selfUrl,
  });
  const server = http.createServer(app.callback());
  // Uploads of hundreds of MB over slow links must not hit Node's default 5-minute request timeout.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, () => resolve());
  });
  lifecycle.defer('http server', () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
  }));

  // Live progress: worker events reach this process through Postgres NOTIFY, then its WebSockets.
  // Registered after the HTTP server, so it is released first: open sockets would hold server.close().
  attachWebSocket(server, { password: config.http.password, hub, log: wsLog });
  const listener = listenForTaskEvents(databaseUrl, { onEvent: hub.onEvent, onReconnect: hub.resync, log: wsLog });
  lifecycle.defer('task event listener', () => listener.stop());
  lifecycle.defer('websockets', () => hub.close());
  await listener.ready;

  const port = (server.address() as AddressInfo).port;
  selfUrl = `http://127.0.0.1:${port}`;
  // In the background: a Temporal that is still starting must not delay or fail the API's start.
  tasks.recoverStranded().catch((err: unknown) => log.error({ err }, 'could not start the workflows of pending tasks'));
  log.info({ port, url: `http://localhost:${port}${config.http.password ? '/<PASSWORD>' : ''}` }, 'API listening');
  return { server, port };
}
