/**
 * Starts a Temporal worker that runs the workflows (ocrTask, webhook deliveries, retention) and their
 * activities, and brings the retention schedule in line with RETENTION_DAYS.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import { createWebhookActivities } from '../activities/webhooks.js';
import { createRetentionActivities } from '../activities/retention.js';
import { createLimiter } from '../activities/limiter.js';
import type { Config } from '../config.js';
import type { Pool } from '../store/pool.js';
import { createPdfPool } from '../pdf/pool.js';
import { filesCacheDir } from '../store/files.js';
import { createVisionClient, type VisionClient } from '../vision/client.js';
import { instrumentPdfPool, instrumentVision } from '../metrics/instrument.js';
import { createMetrics, type Metrics } from '../metrics/registry.js';
import { countActivityWorkers } from '../temporal/task-queue.js';
import { ensureRetentionSchedule } from '../temporal/retention-schedule.js';
import { webhookTaskQueue } from '../workflows/types.js';
import type { Lifecycle } from './lifecycle.js';

// Run from dist/ the workflows are .js; run through tsx (tests, `npm run dev`) they are .ts.
const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
// `npm run build` bundles the compiled workflows once (scripts/bundle-workflows.mjs).
const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

export interface WorkerOptions {
  /** A prebuilt workflow bundle (tests bundle once for all files; dist/ has its own). */
  workflowBundlePath?: string;
  /** Replaces the OpenAI client (never in production; lets tests inject faults below HTTP). */
  vision?: VisionClient;
  retryBaseDelayMs?: number;
  /** Where the worker records; `ocr dev` shares one registry between its worker and API. */
  metrics?: Metrics;
}

/** Webhook attempts one worker makes at once: each is mostly a wait for a receiver (10 s at worst). */
const WEBHOOK_SLOTS = 32;

/** Runs the worker until the process shuts down; a worker that stops by itself stops the process. */
function runUntilShutdown(worker: Worker, name: string, log: Logger, lifecycle: Lifecycle): void {
  const running = worker.run();
  running.catch((err: unknown) => {
    log.fatal({ err }, `${name} stopped unexpectedly`);
    process.exitCode = 1;
    void lifecycle.shutdown();
  });
  lifecycle.defer(name, async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => {});
  });
}

/** The prebuilt bundle when there is one (compiled code), else the sources, bundled at start-up. */
function workflowSource(bundlePath: string | undefined) {
  const prebuilt = bundlePath ?? (!import.meta.url.endsWith('.ts') && existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  return prebuilt ? { workflowBundle: { codePath: prebuilt } } : { workflowsPath: WORKFLOWS_PATH };
}

export async function startWorker(config: Config, pool: Pool, log: Logger, lifecycle: Lifecycle, options: WorkerOptions = {}): Promise<Worker> {
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required for the worker');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  lifecycle.defer('worker connection', () => connection.close());

  const metrics = options.metrics ?? createMetrics();
  const pdf = createPdfPool();
  lifecycle.defer('pdf render threads', () => pdf.close());
  const images = { dpi: config.pdf.dpi, maxSide: config.pdf.maxSide, encoding: config.encoding };
  pdf.warm(images).catch((err: unknown) => log.warn({ err }, 'could not warm up the render threads'));
  const activities = {
    ...createActivities({
      pool,
      pdf: instrumentPdfPool(pdf, metrics),
      images,
      vision: instrumentVision(options.vision ?? createVisionClient(config.vision, log.child({ component: 'vision' })), metrics, config.vision.model),
      metrics,
      limiter: createLimiter(config.vision.concurrency),
      // Twice the model's slots: as many pages drawn and waiting as are being read, enough to keep
      // the model busy while the next ones render.
      pagesInHand: createLimiter(2 * config.vision.concurrency, { grant: 'fewest-held' }),
      concurrency: config.vision.concurrency,
      countWorkers: () => countActivityWorkers(connection.workflowService, config.temporal.namespace, config.temporal.taskQueue),
      cacheDir: filesCacheDir(config),
      maxAttempts: config.vision.maxAttempts,
      model: config.vision.model,
      reuse: config.reuse,
      webhooks: config.webhooks,
      retryBaseDelayMs: options.retryBaseDelayMs,
      log: log.child({ component: 'activities' }),
    }),
    // Retention runs on the task queue of the tasks: a daily run of short transactions needs no slots of its own.
    ...createRetentionActivities({ pool, cacheDir: filesCacheDir(config), log: log.child({ component: 'retention' }) }),
  };
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowSource(options.workflowBundlePath),
    activities,
    // A batch needs at least one model-call slot, so more batches than CONCURRENCY would only wait
    // here while another worker could run them. Two spare slots keep bookkeeping activities moving.
    maxConcurrentActivityTaskExecutions: config.vision.concurrency + 2,
    // Let in-flight model calls finish on SIGTERM before activities are cancelled.
    shutdownGraceTime: '10 seconds',
    // Cancellation reaches an activity with the answer to a heartbeat; by default heartbeats are
    // throttled to 80 % of the heartbeat timeout (16 s), too slow for a user pressing "cancel".
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  // Deliveries poll a task queue of their own, so a worker whose slots are all busy with pages
  // still delivers at once (and a receiver that hangs never holds a page's slot).
  const webhookWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: webhookTaskQueue(config.temporal.taskQueue),
    activities: createWebhookActivities({
      pool, webhooks: config.webhooks, publicUrl: config.publicUrl, pricing: config.pricing, metrics, log: log.child({ component: 'webhooks' }),
    }),
    maxConcurrentActivityTaskExecutions: WEBHOOK_SLOTS,
    shutdownGraceTime: '10 seconds',
  });
  runUntilShutdown(worker, 'worker', log, lifecycle);
  runUntilShutdown(webhookWorker, 'webhook worker', log, lifecycle);
  await ensureRetentionSchedule(connection, { namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, retentionDays: config.retentionDays }, log);
  log.info({ taskQueue: config.temporal.taskQueue, concurrency: config.vision.concurrency, model: config.vision.model }, 'worker started');
  return worker;
}

