/**
 * The mixed scenario of `npm run bench -- mixed`: an hour-long day's mix of work on one machine,
 * squeezed into BENCH_MIXED_MINUTES (default 10) of load against one `ocr api` and one `ocr worker`:
 * one-page images every few seconds, PDFs of 5–50 pages, now and then one of 300, batch uploads,
 * cancels and retries, WebSocket subscribers and pollers, against a model that fails 5 % of its
 * calls. Then the queue drains, and the database is checked: no page lost or written twice, no task stuck.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { StubCall } from '../test/helpers/model-stub.js';
import { cpuSeconds, peakRssMb, rssMb } from './processes.js';
import { createHttp, openTabs, uploadBatch } from './mixed/clients.js';
import { checkPages, dbSizeMb, FINAL, imageSteps, mean, pageRates, pct, s, utilisation } from './mixed/figures.js';
import { percentile } from './stats.js';
import { createFaults, MIX, makeFiles, planLoad, seeded, type Faults, type FileSpec, type Job, type Kind, type Task } from './mixed/plan.js';

export type { Faults } from './mixed/plan.js';

const DEFAULT_MINUTES = 10;
/** As a progress page refreshes. */
const POLL_MS = 1000;
const SAMPLE_MS = 1000;
const RSS_EVERY_MS = 5000;
/** RSS is compared from this far into the load (a quarter of shorter runs) to the end: start-up and first renders are not growth. */
const WARM_UP_MS = 60_000;
/** RSS figures are means over this long, so one garbage collection more or less does not decide them. */
const RSS_WINDOW_MS = 30_000;

interface Run {
  minutes: number;
  apiUrl: string; apiPid: number; workerPid: number;
  db: pg.Pool;
  /** The calls of the faulty stub (its own: every call is this scenario's). */
  calls: StubCall[];
  faults: Faults;
  concurrency: number; latencyMs: number;
  /** Lines of text on each PDF page, as the other scenarios' pages. */
  textLines: number;
  /** Where the files are made, once, before the load. */
  dir: string;
  upload(route: 'image' | 'pdf', file: string, name: string): Promise<string>;
  /** ocrTask workflow runs Temporal still has open. */
  openRuns(): Promise<number>;
}

type Api = ReturnType<typeof createHttp>;
type Tabs = Awaited<ReturnType<typeof openTabs>>;

/**
 * The users: each submit's tasks are watched to their end as a person would watch them, cancelled
 * if planned, retried when they failed, and now and then one page read again.
 */
function createUsers(run: Run, api: Api, tabs: Tabs, rand: () => number) {
  const tasks: Task[] = [];
  const submitErrors: string[] = [];
  const control = { cancelled: 0, cancelTooLate: 0, retries: 0, pageRetries: 0, refused: 0 };
  let completedMultiPage = 0;
  let stopping = false;
  let stop = () => {};
  // Resolves once the drain has taken too long: every watcher then gives up on its task.
  const stopped = new Promise<string>((resolve) => { stop = () => { stopping = true; resolve('stuck'); }; });

  const poll = async (id: string): Promise<string> => {
    while (!stopping) {
      const status = await api.status(id);
      if (status && FINAL.has(status)) return status;
      await sleep(POLL_MS);
    }
    return 'stuck';
  };

  /** A retry or page retry, then its outcome; undefined when the API would not start it. */
  const rerun = async (task: Task, route: string): Promise<string | undefined> => {
    const outcome = task.watch === 'ws' ? tabs.nextOutcome(task.id) : undefined;
    for (let attempt = 1; ; attempt++) {
      const status = await api.post(route);
      if (status === 202) break;
      // 409 previous_run_active: the run that just ended is still closing in Temporal.
      if (status !== 409 || attempt >= 20 || stopping) {
        control.refused++;
        return undefined;
      }
      await sleep(500);
    }
    return outcome ? Promise.race([outcome, stopped]) : poll(task.id);
  };

  const cancel = async (task: Task) => {
    // 409: the task had ended before the cancel came.
    if ((await api.post(`/api/tasks/${task.id}/cancel`)) === 202) {
      task.cancelled = true;
      control.cancelled++;
    } else {
      control.cancelTooLate++;
    }
  };

  /** What the user does once the task has ended: retry it, read one page again, or nothing (undefined). */
  const nextStep = (task: Task, status: string): string | undefined => {
    if ((status === 'partial' || status === 'failed') && !task.cancelled && task.retries < MIX.taskRetries) {
      task.retries++;
      control.retries++;
      return `/api/tasks/${task.id}/retry`;
    }
    if (status === 'completed' && task.pages > 1 && task.pageRetry === undefined && ++completedMultiPage % MIX.pageRetryEvery === 0) {
      task.pageRetry = 1 + Math.floor(rand() * task.pages);
      tabs.expectAgain(task.id, task.pageRetry);
      control.pageRetries++;
      return `/api/tasks/${task.id}/pages/${task.pageRetry}/retry`;
    }
    return undefined;
  };

  const follow = async (task: Task, cancelAfterMs: number | undefined) => {
    const first = task.watch === 'ws' ? Promise.race([tabs.watch(task.id), stopped]) : poll(task.id);
    const cancelled = cancelAfterMs === undefined ? undefined : sleep(cancelAfterMs).then(() => cancel(task));
    let status = await first;
    task.resultAt = Date.now();
    task.firstStatus = status;
    await cancelled;
    for (let route = nextStep(task, status); route; route = nextStep(task, status)) status = (await rerun(task, route)) ?? status;
    task.status = status;
    if (task.watch === 'ws') tabs.forget(task.id);
  };

  /** Uploads the job's files (a batch in one request) and follows each task to its end. */
  const submit = async (job: Job) => {
    const submittedAt = Date.now();
    let ids: Array<{ id: string; pages: number }>;
    try {
      if (job.kind === 'batch') {
        const byName = new Map(job.files.map((f) => [f.name, f.pages]));
        ids = (await uploadBatch(run.apiUrl, job.files)).map((t) => ({ id: t.task_id, pages: byName.get(t.filename) ?? 1 }));
      } else {
        const [f] = job.files as [FileSpec];
        ids = [{ id: await run.upload(f.image ? 'image' : 'pdf', f.path, f.name), pages: f.pages }];
      }
    } catch (err) {
      submitErrors.push((err as Error).message);
      return;
    }
    await Promise.all(ids.map(({ id, pages }) => {
      const task: Task = { id, kind: job.kind, pages, watch: job.watch, submittedAt, cancelled: false, retries: 0 };
      tasks.push(task);
      return follow(task, job.cancelAfterMs);
    }));
  };

  return { submit, stop, tasks, submitErrors, control };
}

/** Samples the unfinished pages every second, and both processes' RSS every 5 s, until stopped. */
function startSampler(run: Run) {
  const samples: Array<{ at: number; outstanding: number }> = [];
  const rss: Array<{ at: number; api: number; worker: number }> = [];
  let sampling = true;
  const done = (async () => {
    for (let nextRss = 0; sampling;) {
      const at = Date.now();
      const { rows: [row] } = await run.db.query<{ outstanding: number }>(
        `select coalesce(sum(total_pages - processed_pages - failed_pages), 0)::int as outstanding from tasks where status in ('pending', 'processing')`);
      samples.push({ at, outstanding: row!.outstanding });
      if (at >= nextRss) {
        rss.push({ at, api: await rssMb(run.apiPid), worker: await rssMb(run.workerPid) });
        nextRss = at + RSS_EVERY_MS;
      }
      await sleep(at + SAMPLE_MS - Date.now());
    }
  })();
  return { samples, rss, stop: () => { sampling = false; return done; } };
}

/** CPU seconds of both processes and of this one (the load generator) since the call. */
async function cpuSince(run: Run) {
  const before = { api: await cpuSeconds(run.apiPid), worker: await cpuSeconds(run.workerPid), bench: process.cpuUsage() };
  return async () => {
    const { user, system } = process.cpuUsage(before.bench);
    return { api: (await cpuSeconds(run.apiPid)) - before.api, worker: (await cpuSeconds(run.workerPid)) - before.worker, bench: (user + system) / 1e6 };
  };
}

export const mixedFigures = {
  /** BENCH_MIXED_MINUTES of load (default 10), e.g. 2 to try the scenario out. */
  minutes(): number {
    const minutes = Number(process.env.BENCH_MIXED_MINUTES ?? DEFAULT_MINUTES);
    if (!(minutes > 0)) throw new Error(`BENCH_MIXED_MINUTES must be a positive number of minutes, not ${process.env.BENCH_MIXED_MINUTES}`);
    return minutes;
  },

  createFaults,

  async run(run: Run): Promise<string[]> {
    const durationMs = run.minutes * 60_000;
    const rand = seeded(18);
    const jobs = planLoad(durationMs, run.dir, rand);
    await makeFiles(jobs, run.textLines);
    const api = createHttp(run.apiUrl);
    const tabs = await openTabs(run.apiUrl);
    const users = createUsers(run, api, tabs, rand);
    const sampler = startSampler(run);
    const sizeBefore = await dbSizeMb(run.db);
    const cpuUsed = await cpuSince(run);

    const loadStart = Date.now();
    const followers: Array<Promise<void>> = [];
    for (const job of jobs) {
      await sleep(loadStart + job.atMs - Date.now());
      followers.push(users.submit(job));
    }
    await sleep(loadStart + durationMs - Date.now());
    const loadEnd = Date.now();
    // Drained when every task has ended: bounded by three times the backlog's time at the model's pace, plus 2 minutes.
    const backlog = sampler.samples.at(-1)?.outstanding ?? 0;
    const drainLimit = setTimeout(users.stop, 120_000 + (3 * backlog * run.latencyMs) / run.concurrency);
    await Promise.all(followers);
    clearTimeout(drainLimit);
    const drainedAt = Date.now();
    await sleep(RSS_EVERY_MS); // one more RSS sample, with nothing to do
    await sampler.stop();
    const wallS = (Date.now() - loadStart) / 1000;
    const cpu = await cpuUsed();
    await tabs.close();
    api.close();

    const { tasks, control } = users;
    const ids = tasks.map((t) => t.id);
    const check = await checkPages(run.db, ids);
    const sizeAfter = await dbSizeMb(run.db);
    const openRuns = await run.openRuns();
    const rates = await pageRates(run.db, ids, loadEnd);
    // From the first submit to the drain: the seconds before and after say nothing about the service.
    const use = utilisation(run.calls, sampler.samples.filter((x) => x.at >= loadStart && x.at <= drainedAt + SAMPLE_MS), run.concurrency, loadStart);
    const steps = await imageSteps(run.db, tasks.filter((t) => t.kind === 'image' && !t.cancelled && t.firstStatus === 'completed' && t.retries === 0));
    const { rss } = sampler;

    const wsMissed = tasks.filter((t) => t.status === 'stuck' && !check.stuck.includes(t.id)).length;
    const answered = run.calls.filter((c) => c.action === 'ok' && !c.abandoned && c.answeredAt !== undefined).length;
    const faults = [...run.faults.counts].map(([name, n]) => `${n} × ${name}`).join(', ');
    const faultTotal = [...run.faults.counts.values()].reduce((a, b) => a + b, 0);
    const images = tasks.filter((t) => t.kind === 'image' && !t.cancelled && t.firstStatus === 'completed').map((t) => t.resultAt! - t.submittedAt).sort((a, b) => a - b);
    const polls = [...api.latencies].sort((a, b) => a - b);
    const ofKind = (kind: Kind) => tasks.filter((t) => t.kind === kind);
    const pagesOf = (kind: Kind) => ofKind(kind).reduce((sum, t) => sum + t.pages, 0);
    const loadMin = (loadEnd - loadStart) / 60_000;
    const pdfSpanMin = rates.pdf_last ? (rates.pdf_last.getTime() - loadStart) / 60_000 : NaN;
    const warmUp = Math.min(WARM_UP_MS, durationMs / 4);
    const rssMean = (from: number, key: 'api' | 'worker') => Math.round(mean(rss.filter((r) => r.at >= from && r.at <= from + RSS_WINDOW_MS).map((r) => r[key])));
    const rssLine = async (key: 'api' | 'worker', pid: number) => {
      const [start, end] = [rssMean(loadStart + warmUp, key), rssMean(loadEnd - RSS_WINDOW_MS, key)];
      return `${key} ${start} MB after warm-up → ${end} MB at the end of the load (${end >= start ? '+' : ''}${(((end - start) / start) * 100).toFixed(1)} %), ` +
        `${rss.at(-1)![key]} MB drained, peak ${await peakRssMb(pid)} MB`;
    };
    const duplicated = check.outside + check.countersOff + check.outcomeOff;
    // The series itself: a plateau reached with the first 300-page PDF reads differently from a creep.
    const rssByMinute = (key: 'api' | 'worker') => Array.from({ length: Math.ceil((drainedAt - loadStart) / 60_000) }, (_, m) =>
      Math.round(mean(rss.filter((r) => r.at >= loadStart + m * 60_000 && r.at < loadStart + (m + 1) * 60_000).map((r) => r[key])))).join(' ');

    return [
      `load ${run.minutes} min, then ${s(drainedAt - loadEnd)} to drain: ${ofKind('image').length} images, ${ofKind('pdf').length} PDFs of ${MIX.pdfPages.join('–')} pages (${pagesOf('pdf')} pages), ` +
        `${ofKind('big').length} of ${MIX.bigPages}, ${jobs.filter((j) => j.kind === 'batch').length} batches (${ofKind('batch').length} files, ${pagesOf('batch')} pages); ` +
        `${control.cancelled} cancelled (${control.cancelTooLate} cancels came after the end), ${control.retries} task retries, ${control.pageRetries} page retries` +
        `${control.refused ? ` (${control.refused} refused)` : ''}; ${run.calls.length} model calls, ${faultTotal} faults (${pct(faultTotal / run.calls.length)}: ${faults})` +
        `${users.submitErrors.length ? `; ${users.submitErrors.length} submits failed: ${users.submitErrors[0]}` : ''}`,
      `model in use (calls in flight / CONCURRENCY ${run.concurrency}): ${pct(use.overall)} over load and drain, ${pct(use.queued)} while work was queued ` +
        `(target ≥ 90 %; queued ${pct(use.queuedShare)} of the time); by minute ${use.perMinute.map((u) => (u * 100).toFixed(0)).join(' ')}`,
      `images submit to task_completed on the WebSocket: p50 ${s(percentile(images, 50))}, p95 ${s(percentile(images, 95))} ` +
        `(target ≤ ${s(3 * run.latencyMs)}, 3 × model latency), max ${s(images.at(-1) ?? NaN)} over ${images.length} images (cancelled ones and those a 400 failed left out)`,
      `images p50/p95 by step (first runs): ${steps}`,
      `PDF pages ${(rates.pdf_during / loadMin).toFixed(0)}/min during the load, ${(rates.pdf_total / pdfSpanMin).toFixed(0)}/min to the last page; ` +
        `all pages ${(rates.all_during / loadMin).toFixed(0)}/min during the load (the model's pace: ${((run.concurrency * 60_000) / run.latencyMs).toFixed(0)}/min)`,
      `API GET /api/tasks/{id} by the pollers: p50 ${percentile(polls, 50).toFixed(1)} ms, p95 ${percentile(polls, 95).toFixed(1)} ms, p99 ${percentile(polls, 99).toFixed(1)} ms, ` +
        `max ${(polls.at(-1) ?? NaN).toFixed(0)} ms over ${polls.length} requests, ${api.errors()} errors`,
      `RSS (VmRSS, means of ${RSS_WINDOW_MS / 1000} s) ${await rssLine('worker', run.workerPid)}; ${await rssLine('api', run.apiPid)} (target: flat within 10 %)`,
      `RSS by minute of the load (MB): worker ${rssByMinute('worker')}; api ${rssByMinute('api')}`,
      `Postgres ${sizeBefore.toFixed(1)} MB → ${sizeAfter.toFixed(1)} MB: ${(((sizeAfter - sizeBefore) * 1000) / check.pageRows).toFixed(1)} MB per 1,000 pages (${check.pageRows} page rows, each upload its own file)`,
      `pages lost ${check.lost}, duplicated ${duplicated} (rows outside their task ${check.outside}, counters off ${check.countersOff}, outcomes disagreeing with the rows ${check.outcomeOff}), ` +
        `completed pages announced twice on the WebSocket ${tabs.duplicates()}, model answers without a page row ${answered - check.completedRows - control.pageRetries}; ` +
        `stuck tasks ${check.stuck.length}, ocrTask runs open ${openRuns}, WebSocket outcomes missed ${wsMissed} (targets 0); ` +
        `${check.tasks} tasks: ${[...check.statuses].map(([status, n]) => `${n} ${status}`).join(', ')}`,
      `CPU (of one core, load and drain) worker ${pct(cpu.worker / wallS)}, API ${pct(cpu.api / wallS)}, load generator ${pct(cpu.bench / wallS)}`,
    ];
  },
};
