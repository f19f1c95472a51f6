/**
 * The figures of the mixed scenario, from the stub's calls, the samples and the database after the
 * drain: the model in use, the pages checked, where an image's time goes, pages per minute, and the
 * small statistics and formatting they share.
 */
import type pg from 'pg';
import type { StubCall } from '../../test/helpers/model-stub.js';
import { percentile } from '../stats.js';
import type { Task } from './plan.js';

export const FINAL = new Set(['completed', 'partial', 'failed', 'cancelled']);

export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
export const pct = (share: number) => `${(share * 100).toFixed(0)} %`;
export const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Mean share of CONCURRENCY in use between samples: overall, while work was queued, and per minute. */
export function utilisation(calls: StubCall[], samples: Array<{ at: number; outstanding: number }>, concurrency: number, startedAt: number) {
  const intervals = samples.slice(1).map((b, i) => {
    const a = samples[i]!;
    // Queued: more pages unfinished, at both ends, than the model can take at once.
    return { from: a.at, to: b.at, queued: a.outstanding > concurrency && b.outstanding > concurrency, busy: 0 };
  });
  const end = samples.at(-1)!.at;
  for (const c of calls) {
    const [from, to] = [c.receivedAt, c.closedAt ?? end];
    // Binary search for the first interval the call overlaps.
    let lo = 0;
    for (let hi = intervals.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (intervals[mid]!.to <= from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < intervals.length && intervals[i]!.from < to; i++) {
      const iv = intervals[i]!;
      iv.busy += Math.max(0, Math.min(to, iv.to) - Math.max(from, iv.from));
    }
  }
  const share = (list: typeof intervals) => list.reduce((sum, iv) => sum + iv.busy, 0) / (list.reduce((sum, iv) => sum + iv.to - iv.from, 0) * concurrency);
  const queued = intervals.filter((iv) => iv.queued);
  const minutes = new Map<number, typeof intervals>();
  for (const iv of intervals) {
    const minute = Math.floor((iv.from - startedAt) / 60_000);
    minutes.set(minute, [...(minutes.get(minute) ?? []), iv]);
  }
  return {
    overall: share(intervals), queued: queued.length > 0 ? share(queued) : NaN,
    queuedShare: queued.reduce((sum, iv) => sum + iv.to - iv.from, 0) / (end - samples[0]!.at),
    perMinute: [...minutes.values()].map(share),
  };
}

interface TaskCheck {
  id: string; status: string; total: number; processed: number; failed_count: number; summary_completed: number | null;
  rows: number; completed: number; failed: number; outside: number;
}

/** Every page of every task against its row in `pages`, as the database holds them after the drain. */
export async function checkPages(db: pg.Pool, ids: string[]) {
  const { rows } = await db.query<TaskCheck>(
    `select t.id, t.status, t.total_pages as total, t.processed_pages as processed, t.failed_pages as failed_count,
            (t.result_summary->>'successful_pages')::int as summary_completed,
            count(p.page_number)::int as rows,
            count(*) filter (where p.status = 'completed')::int as completed,
            count(*) filter (where p.status = 'failed')::int as failed,
            count(*) filter (where p.page_number > t.total_pages)::int as outside
     from tasks t left join pages p on p.task_id = t.id
     where t.id = any($1::uuid[])
     group by t.id`, [ids]);
  const ended = rows.filter((r) => FINAL.has(r.status));
  // A cancelled task keeps the pages done before it stopped: it has lost none.
  const finished = ended.filter((r) => r.status !== 'cancelled');
  const statuses = new Map<string, number>();
  for (const r of rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  return {
    tasks: rows.length, statuses,
    stuck: rows.filter((r) => !FINAL.has(r.status)).map((r) => r.id),
    lost: finished.reduce((sum, r) => sum + Math.max(0, r.total - r.rows), 0),
    // The primary key (task_id, page_number) allows one row a page: a duplicate shows as a row
    // outside the task's pages, counters that disagree with the rows, or an outcome counted without a page saved after it.
    outside: rows.reduce((sum, r) => sum + r.outside, 0),
    countersOff: rows.filter((r) => r.processed !== r.completed || (r.status !== 'cancelled' && FINAL.has(r.status) && r.failed_count !== r.failed)).length,
    outcomeOff: ended.filter((r) => r.summary_completed !== r.completed).length,
    completedRows: rows.reduce((sum, r) => sum + r.completed, 0),
    pageRows: rows.reduce((sum, r) => sum + r.rows, 0),
  };
}

export const dbSizeMb = async (db: pg.Pool) =>
  Number((await db.query<{ bytes: string }>('select pg_database_size(current_database()) as bytes')).rows[0]!.bytes) / 2 ** 20;

/**
 * Where an image's time goes, from the rows' timestamps (one clock: this machine's): the upload, the
 * run's start (workflow and startTask), the wait for its batch to begin (activity slots), the page
 * itself (render, the wait for a model-call slot, the call and its retries), recording the outcome,
 * and the WebSocket message. p50/p95 of each; they do not add up to the total's p95.
 */
export async function imageSteps(db: pg.Pool, images: Task[]): Promise<string> {
  const { rows } = await db.query<{ id: string; created: number; started: number; begun: number; saved: number; completed: number; processing: number }>(
    `select t.id, extract(epoch from t.created_at)::float8 * 1000 as created, extract(epoch from t.started_at)::float8 * 1000 as started,
            extract(epoch from p.created_at)::float8 * 1000 - p.processing_ms as begun, extract(epoch from p.created_at)::float8 * 1000 as saved,
            extract(epoch from t.completed_at)::float8 * 1000 as completed, p.processing_ms as processing
     from tasks t join pages p on p.task_id = t.id where t.id = any($1::uuid[])`, [images.map((t) => t.id)]);
  const byId = new Map(images.map((t) => [t.id, t]));
  const spread = (name: string, values: number[]) => {
    const sorted = values.sort((a, b) => a - b);
    return `${name} ${s(percentile(sorted, 50))}/${s(percentile(sorted, 95))}`;
  };
  return [
    spread('upload', rows.map((r) => r.created - byId.get(r.id)!.submittedAt)),
    spread('run start', rows.map((r) => r.started - r.created)),
    spread('batch begins', rows.map((r) => r.begun - r.started)),
    spread('page (render, slot, call)', rows.map((r) => r.processing)),
    spread('outcome recorded', rows.map((r) => r.completed - r.saved)),
    spread('WebSocket', rows.map((r) => byId.get(r.id)!.resultAt! - r.completed)),
  ].join(', ');
}

/** Completed pages saved during the load and in all, for PDFs and for every task. */
export async function pageRates(db: pg.Pool, ids: string[], loadEnd: number) {
  const { rows: [r] } = await db.query<{ pdf_during: number; pdf_total: number; pdf_last: Date | null; all_during: number }>(
    `select count(*) filter (where t.task_type = 'pdf_ocr' and p.created_at <= $2)::int as pdf_during,
            count(*) filter (where t.task_type = 'pdf_ocr')::int as pdf_total,
            max(p.created_at) filter (where t.task_type = 'pdf_ocr') as pdf_last,
            count(*) filter (where p.created_at <= $2)::int as all_during
     from pages p join tasks t on t.id = p.task_id
     where t.id = any($1::uuid[]) and p.status = 'completed'`, [ids, new Date(loadEnd)]);
  return r!;
}
