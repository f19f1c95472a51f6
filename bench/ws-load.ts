/**
 * WebSocket fan-out under load: clients in worker threads (bench/ws-clients.ts) subscribe to tasks
 * of a running API; this thread publishes page_completed events with pg_notify on the channel the
 * workers use, at a fixed rate, and counts what arrives and how late.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import WebSocket from 'ws';
import type { TaskEvent } from '../src/contract/index.js';
import { EVENTS_CHANNEL } from '../src/store/events.js';
import { percentile } from './stats.js';
import type { ClientsCommand, ClientsData, ClientsReport } from './ws-clients.js';

export interface WsLoadOptions {
  /** ws://host:port/{PASSWORD}/ws */
  url: string;
  /** Publishes into the API's database. */
  db: pg.Client;
  taskIds: string[];
  taskPages: number;
  clients: number;
  threads: number;
  /** Events per second, tried in order until lag explodes or messages go missing. */
  rates: number[];
  durationS: number;
}

export interface WsRun {
  rate: number;
  publishedPerS: number;
  events: number;
  expected: number;
  pages: number;
  progress: number;
  messagesPerS: number;
  lag: { p50: number; p99: number; max: number };
  progressLag: { p99: number };
  outOfOrder: number;
  unmatched: number;
  errors: number;
  closed: number;
  /** CPU of the bench process (publisher and client threads) over the run; 1 = one core. */
  benchCpu: number;
  apiCpu?: number;
}

type Collected = Extract<ClientsReport, { kind: 'collected' }>;

const TICK_MS = 5;
/** Lag at which a higher rate can only be worse: the ramp stops. */
const LAG_LIMIT_MS = 2000;
const now = () => performance.timeOrigin + performance.now();

/** Whether the API answers WebSocket upgrades at all (the hub may not be in this build). */
export function probeWebSocket(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url}?client_id=bench-probe`);
    socket.once('open', () => {
      socket.close();
      resolve(true);
    });
    socket.once('unexpected-response', () => resolve(false));
    socket.once('error', () => resolve(false));
  });
}

/** One request, one answer: commands to a client thread are never interleaved. */
function clientThread(data: ClientsData) {
  const worker = new Worker(new URL('./ws-clients-thread.mjs', import.meta.url), { workerData: data });
  const waiting: Array<(report: ClientsReport) => void> = [];
  const first = new Promise<ClientsReport>((resolve) => waiting.push(resolve));
  worker.on('message', (report: ClientsReport) => waiting.shift()?.(report));
  worker.on('error', (err) => waiting.shift()?.({ kind: 'failed', message: err.message }));
  return {
    ready: first,
    ask<K extends ClientsReport['kind']>(command: ClientsCommand, _kind: K): Promise<Extract<ClientsReport, { kind: K }>> {
      const answer = new Promise<ClientsReport>((resolve) => waiting.push(resolve));
      worker.postMessage(command);
      return answer as Promise<Extract<ClientsReport, { kind: K }>>;
    },
    terminate: () => worker.terminate(),
  };
}

function merge(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.sort();
}

/** Sends `rate` events per second for `durationS`, in one statement per tick (all delivered at its commit). */
async function publish(opts: WsLoadOptions, rate: number, firstSeq: number, times: Float64Array, perTask: Map<string, number>) {
  const total = rate * opts.durationS;
  const started = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((rate * (now() - started)) / 1000));
    if (due > sent) {
      const payloads: string[] = [];
      const at = now();
      for (; sent < due; sent++) {
        const seq = firstSeq + sent;
        const taskId = opts.taskIds[seq % opts.taskIds.length]!;
        const done = (perTask.get(taskId) ?? 0) + 1;
        perTask.set(taskId, done);
        times[seq] = at;
        const event: TaskEvent = {
          type: 'page_completed', task_id: taskId, page_number: seq, status: 'completed', content_length: 2400,
          processing_time: 3.2, error_message: null, warnings: [], progress: { processed: Math.min(done, opts.taskPages - 1), failed: 0, total: opts.taskPages },
        };
        payloads.push(JSON.stringify(event));
      }
      await opts.db.query('select pg_notify($1, p) from unnest($2::text[]) as p', [EVENTS_CHANNEL, payloads]);
    }
    await sleep(TICK_MS);
  }
  return { events: total, seconds: (now() - started) / 1000, started };
}

export async function runWsLoad(opts: WsLoadOptions, onRun: (run: WsRun) => void, apiCpuSeconds?: () => Promise<number>): Promise<{ connectMs: number; runs: WsRun[] }> {
  const maxEvents = opts.rates.reduce((sum, r) => sum + r * opts.durationS, 0) + 1;
  const publishTimes = new SharedArrayBuffer(8 * maxEvents);
  const times = new Float64Array(publishTimes);
  const assignments = Array.from({ length: opts.clients }, (_, i) => ({ clientId: `bench-${i}`, taskId: opts.taskIds[i % opts.taskIds.length]! }));
  const subscribers = new Map<string, number>();
  for (const a of assignments) subscribers.set(a.taskId, (subscribers.get(a.taskId) ?? 0) + 1);
  const perThread = Math.ceil(opts.clients / opts.threads);
  const threads = Array.from({ length: opts.threads }, (_, t) =>
    clientThread({ url: opts.url, clients: assignments.slice(t * perThread, (t + 1) * perThread), publishTimes }));
  const runs: WsRun[] = [];
  try {
    const ready = await Promise.all(threads.map((t) => t.ready));
    const failed = ready.find((r) => r.kind === 'failed');
    if (failed) throw new Error(`WebSocket clients could not connect: ${failed.message}`);
    const connectMs = Math.max(...ready.map((r) => (r.kind === 'ready' ? r.connectMs : 0)));

    let seq = 1;
    for (const rate of opts.rates) {
      await Promise.all(threads.map((t) => t.ask({ cmd: 'reset' }, 'count')));
      const perTask = new Map<string, number>();
      const cpuBefore = await apiCpuSeconds?.();
      const benchBefore = process.cpuUsage();
      const sent = await publish(opts, rate, seq, times, perTask);
      seq += sent.events;
      let expected = 0;
      for (const [taskId, n] of perTask) expected += n * (subscribers.get(taskId) ?? 0);
      // Wait for the backlog to drain: until everything arrived, or nothing more arrives for 3 s.
      let last = -1;
      let quietSince = now();
      for (;;) {
        const counts = await Promise.all(threads.map((t) => t.ask({ cmd: 'count' }, 'count')));
        const received = counts.reduce((n, c) => n + c.pages + c.progress, 0);
        if (received >= 2 * expected) break;
        if (received !== last) {
          last = received;
          quietSince = now();
        } else if (now() - quietSince > 3000) break;
        await sleep(100);
      }
      const cpuAfter = await apiCpuSeconds?.();
      const bench = process.cpuUsage(benchBefore);
      const parts: Collected[] = await Promise.all(threads.map((t) => t.ask({ cmd: 'collect' }, 'collected')));
      const pageLags = merge(parts.map((p) => p.pageLags));
      const progressLags = merge(parts.map((p) => p.progressLags));
      const lastReceive = Math.max(...parts.map((p) => p.lastReceive));
      const sum = (f: (p: Collected) => number) => parts.reduce((n, p) => n + f(p), 0);
      const windowS = Math.max(sent.seconds, (lastReceive - sent.started) / 1000);
      const run: WsRun = {
        rate, publishedPerS: sent.events / sent.seconds, events: sent.events, expected,
        pages: pageLags.length, progress: progressLags.length,
        messagesPerS: (pageLags.length + progressLags.length) / windowS,
        lag: { p50: percentile(pageLags, 50), p99: percentile(pageLags, 99), max: pageLags.at(-1) ?? NaN },
        progressLag: { p99: percentile(progressLags, 99) },
        outOfOrder: sum((p) => p.outOfOrder), unmatched: sum((p) => p.unmatched), errors: sum((p) => p.errors), closed: sum((p) => p.closed),
        benchCpu: (bench.user + bench.system) / 1e6 / ((now() - sent.started) / 1000),
        ...(cpuBefore !== undefined && cpuAfter !== undefined ? { apiCpu: (cpuAfter - cpuBefore) / windowS } : {}),
      };
      runs.push(run);
      onRun(run);
      if (run.lag.p99 > LAG_LIMIT_MS || run.pages < expected || run.closed > 0) break;
    }
    return { connectMs, runs };
  } finally {
    await Promise.all(threads.map(async (t) => {
      await Promise.race([t.ask({ cmd: 'close' }, 'closed'), sleep(2000)]);
      await t.terminate();
    }));
  }
}
