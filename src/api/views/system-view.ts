/**
 * The /api/system/* answers in the old service's shapes (docs/compatibility.md, "System and health"),
 * filled with real figures: the
 * machine, the data directory's disk, tasks and pages from Postgres, workers from Temporal's task
 * queue, WebSockets from the hub and request latencies from this process's metrics.
 */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { HubStats } from '../ws/hub.js';
import type { Metrics } from '../../metrics/registry.js';
import type { RecentPages, TaskCount } from '../../store/stats.js';
import type { TaskType } from '../../contract/index.js';
import type { Poller } from '../../temporal/task-queue.js';

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

export async function systemResources(dataDir: string) {
  const cores = os.availableParallelism();
  const total = os.totalmem();
  const used = total - os.freemem();
  let disk: { path: string; total_bytes: number; free_bytes: number; percent: number } | null = null;
  try {
    const fs = await statfs(dataDir);
    const diskTotal = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    disk = { path: dataDir, total_bytes: diskTotal, free_bytes: free, percent: percent(diskTotal - free, diskTotal) };
  } catch {
    // The data directory may not exist on an API-only host: no disk figure then.
  }
  return {
    // The one-minute load over the cores: no sampling delay, and it counts every process.
    cpu_percent: Math.min(100, percent(os.loadavg()[0]!, cores)),
    cpu_count: cores,
    load_average: os.loadavg(),
    memory: { total_bytes: total, used_bytes: used, percent: percent(used, total), process_rss_bytes: process.memoryUsage.rss() },
    disk,
    uptime_seconds: Math.round(process.uptime()),
  };
}

export type SystemResources = Awaited<ReturnType<typeof systemResources>>;

/** One of the old service's queue objects, for a task type. */
export function queueView(counts: TaskCount[], type: TaskType) {
  const of = (...statuses: string[]) => counts
    .filter((c) => c.task_type === type && statuses.includes(c.status))
    .reduce((sum, c) => sum + c.count, 0);
  const finishedRecently = counts.filter((c) => c.task_type === type).reduce((sum, c) => sum + c.finished_last_5_min, 0);
  return {
    pending_count: of('pending'),
    processing_count: of('processing'),
    completed_count: of('completed', 'partial'),
    failed_count: of('failed'),
    cancelled_count: of('cancelled'),
    queue_size: of('pending', 'processing'),
    total_added: of('pending', 'processing', 'completed', 'partial', 'failed', 'cancelled'),
    total_processed: of('completed', 'partial'),
    total_failed: of('failed'),
    uptime_seconds: Math.round(process.uptime()),
    /** Tasks finished per minute over the last five minutes. */
    processing_rate: Math.round((finishedRecently / 5) * 10) / 10,
  };
}

/** The old service's worker-pool object: here the Temporal workers polling the task queue. */
export function workersView(pollers: Poller[] | null, concurrency: number) {
  return {
    total_workers: pollers?.length ?? 0,
    min_workers: 0,
    max_workers: null,
    running: (pollers?.length ?? 0) > 0,
    workers: Object.fromEntries((pollers ?? []).map((p) => [p.identity, { last_access_time: p.lastAccessTime?.toISOString() ?? null, rate_per_second: p.ratePerSecond }])),
    summary: {
      // null when Temporal could not be asked: unknown, not zero.
      known: pollers !== null,
      model_calls_per_worker: concurrency,
    },
  };
}

export function websocketView(stats: HubStats) {
  return { ...stats, connection_timeout: stats.heartbeat_interval * 2, timestamp: new Date().toISOString() };
}

/** The old service's rule: more than 90 % CPU, memory or disk, or an error rate over 0.1, is an issue. */
export function healthIssues(resources: SystemResources, pages: RecentPages, checks: Record<string, string>): string[] {
  const issues: string[] = [];
  for (const [name, result] of Object.entries(checks)) if (result !== 'ok') issues.push(`${name} unreachable: ${result}`);
  if (resources.cpu_percent > 90) issues.push(`CPU at ${resources.cpu_percent}%`);
  if (resources.memory.percent > 90) issues.push(`memory at ${resources.memory.percent}%`);
  if (resources.disk && resources.disk.percent > 90) issues.push(`disk of ${resources.disk.path} at ${resources.disk.percent}%`);
  const rate = errorRate(pages);
  if (rate > 0.1) issues.push(`${Math.round(rate * 100)}% of pages failed in the last hour`);
  return issues;
}

export const errorRate = (pages: RecentPages) => (pages.completed + pages.failed === 0 ? 0 : pages.failed / (pages.completed + pages.failed));

/** Approximate quantiles (bucket upper bounds) of a prom-client histogram, over all its series. */
export async function histogramQuantiles(histogram: Metrics['httpDuration'] | Metrics['modelCallDuration'], quantiles: number[]) {
  const { values } = await histogram.get();
  const buckets = new Map<number, number>();
  let count = 0;
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket')) {
      const le = Number((v.labels as Record<string, string | number | undefined>).le);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) {
      count += v.value;
    }
  }
  const bounds = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const result: Record<string, number | null> = { count };
  for (const q of quantiles) {
    const rank = q * count;
    const bound = bounds.find(([, cumulative]) => cumulative >= rank && count > 0);
    result[`p${Math.round(q * 100)}`] = bound ? bound[0] : null;
  }
  return result;
}
