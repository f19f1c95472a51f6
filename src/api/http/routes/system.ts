/** GET /api/system/stats, /health and /metrics: the old service's operator views, with real figures
 * (docs/compatibility.md, "System and health"). */
import Router from '@koa/router';
import type { ApiDeps } from '../../deps.js';
import { countTasks, recentPages } from '../../../store/stats.js';
import { dependencyChecks } from './health.js';
import { activityPollers, type Poller } from '../../../temporal/task-queue.js';
import {
  errorRate, healthIssues, histogramQuantiles, queueView, systemResources, websocketView, workersView,
} from '../../views/system-view.js';

const WINDOW_MINUTES = 60;

export function systemRoutes(deps: ApiDeps): Router {
  const router = new Router();
  const { config } = deps;

  /** Workers that polled the task queue for activities recently; null when Temporal cannot say. */
  async function pollers(): Promise<Poller[] | null> {
    try {
      return await activityPollers(deps.temporal.workflowService, config.temporal.namespace, config.temporal.taskQueue);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'could not describe the task queue');
      return null;
    }
  }

  async function health() {
    const [resources, pages, checks] = await Promise.all([systemResources(config.dataDir), recentPages(deps.pool, WINDOW_MINUTES), dependencyChecks(deps)]);
    const issues = healthIssues(resources, pages, checks);
    const down = Object.values(checks).some((c) => c !== 'ok');
    return {
      overall_status: issues.length === 0 ? 'healthy' : issues.length <= 2 && !down ? 'warning' : 'critical',
      timestamp: new Date().toISOString(),
      issues,
      checks,
      system_health: resources,
      pages_last_hour: pages,
    };
  }

  router.get('/api/system/stats', async (ctx) => {
    const [counts, workers, resources] = await Promise.all([countTasks(deps.pool), pollers(), systemResources(config.dataDir)]);
    const pool = workersView(workers, config.vision.concurrency);
    ctx.body = {
      status: 'success',
      data: {
        task_system: {
          queues: { image: queueView(counts, 'image_ocr'), pdf: queueView(counts, 'pdf_ocr') },
          // One Temporal task queue serves both kinds of task.
          workers: { image: pool, pdf: pool },
          system_health: resources,
          system: { initialized: true, timestamp: new Date().toISOString() },
        },
        websocket: websocketView(deps.websocketStats()),
      },
    };
  });

  // The models a task may choose (MODELS), for clients and the page's options panel.
  router.get('/api/models', (ctx) => {
    ctx.body = { status: 'success', default: config.vision.model, models: config.vision.models };
  });

  router.get('/api/system/health', async (ctx) => {
    ctx.body = { status: 'success', data: await health() };
  });

  router.get('/api/system/metrics', async (ctx) => {
    const [resources, pages, http, model] = await Promise.all([
      systemResources(config.dataDir),
      recentPages(deps.pool, WINDOW_MINUTES),
      histogramQuantiles(deps.metrics.httpDuration, [0.5, 0.95, 0.99]),
      histogramQuantiles(deps.metrics.modelCallDuration, [0.5, 0.95, 0.99]),
    ]);
    ctx.body = {
      status: 'success',
      data: {
        timestamp: new Date().toISOString(),
        window_minutes: WINDOW_MINUTES,
        system_resources: resources,
        timeout_stats: { api_timeout_seconds: config.vision.timeoutMs / 1000, pages_failed_by_timeout: pages.failed_by_class.timeout ?? 0 },
        error_stats: {
          pages_completed: pages.completed,
          pages_failed: pages.failed,
          error_rate: Math.round(errorRate(pages) * 1000) / 1000,
          failed_by_class: pages.failed_by_class,
        },
        recovery_stats: { pages_recovered_by_retry: pages.retried, max_attempts_per_page: config.vision.maxAttempts },
        page_latency_seconds: { p50: pages.p50, p95: pages.p95, p99: pages.p99, pages_per_minute: pages.pages_per_minute },
        // From this process: model calls are only seen here when a worker runs in it (`ocr dev`).
        model_latency_seconds: model,
        api_performance: { request_duration_seconds: http },
      },
    };
  });
  return router;
}
