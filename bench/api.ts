/**
 * `npm run bench:api`: the API under load with 10,000 tasks in Postgres. Requests per second and
 * latency of the task routes (autocannon), then task events fanned out over WebSockets to 500
 * subscribed clients at rising rates. The API runs as its own compiled process (`ocr api`), so the
 * load generators never share its event loop and its peak RSS is its own. Prints one line per
 * measurement; a full run writes docs/benchmarks-api.md. `npm run bench:api -- http` (or `ws`)
 * runs one part.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createLifecycle, stopOnSignals } from '../src/main/lifecycle.js';
import { freePort } from '../src/main/processes.js';
import { startTemporalDevServer } from '../src/main/temporal-dev-server.js';
import { migrate } from '../src/store/migrate.js';
import { createPool } from '../src/store/pool.js';
import { adminDatabase } from '../test/helpers/services.js';
import { loadRoute, type HttpRun } from './http-load.js';
import { cpuSeconds, machine, peakRssMb, root, startOcrProcess, stopProcess } from './processes.js';
import { seedTasks } from './seed-tasks.js';
import { probeWebSocket, runWsLoad, type WsRun } from './ws-load.js';

const TASKS = 10_000;
// 50 connections for throughput; 1 for the latency of a request that waits for nothing.
const HTTP = { connections: [50, 1], durationS: 10, warmupS: 2 };
const WS = {
  clients: 500,
  tasks: 50,
  // Two threads of clients: one thread alone spent most of its time parsing JSON at the higher rates.
  threads: Number(process.env.BENCH_WS_THREADS ?? 2),
  rates: [100, 500, 1000, 2000, 4000],
  durationS: 10,
};
const PASSWORD = 'pwd';
const log = pino({ level: 'warn' });

const only = process.argv.slice(2);
const wanted = (part: string) => only.length === 0 || only.includes(part);
const lines: string[] = [];
const report = (line: string) => {
  console.log(line);
  lines.push(line);
};
// Other work on the machine skews every figure: the load average says how much there was.
const load = `load average ${os.loadavg()[0]!.toFixed(1)} over the minute before the run, on ${os.availableParallelism()} cores`;
console.log(`# machine: ${machine}; ${load}`);

const lifecycle = createLifecycle(log);
stopOnSignals(lifecycle, log);
void lifecycle.done.then(() => process.exit());

const fmtHttp = (r: HttpRun) =>
  `${r.name.padEnd(54)} ${String(r.connections).padStart(2)} conn ${r.reqPerS.toFixed(0).padStart(5)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, ` +
  `${r.responseKb.toFixed(1)} kB/response, ${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx` +
  (r.apiCpu === undefined ? '' : `, API CPU ${(r.apiCpu * 100).toFixed(0)} %`) +
  (r.errors + r.non2xx > 0 ? '  <-- FAILED REQUESTS' : '');

const fmtWs = (r: WsRun) =>
  `ws ${String(r.rate).padStart(4)} events/s  published ${r.publishedPerS.toFixed(0)}/s, delivered ${r.messagesPerS.toFixed(0)} messages/s (both kinds); ` +
  `page_completed lag p50 ${r.lag.p50.toFixed(1)} ms, p99 ${r.lag.p99.toFixed(1)} ms, max ${r.lag.max.toFixed(1)} ms ` +
  `(task_progress p99 ${r.progressLag.p99.toFixed(1)} ms); received ${r.pages} + ${r.progress} of ${r.expected} + ${r.expected}, ` +
  `${2 * r.expected - r.pages - r.progress} missing, ${r.outOfOrder} out of order, ${r.closed} clients dropped` +
  (r.apiCpu === undefined ? '' : `, API CPU ${(r.apiCpu * 100).toFixed(0)} %`) + `, clients CPU ${(r.benchCpu * 100).toFixed(0)} %` +
  (r.errors + r.unmatched > 0 ? `, ${r.errors} protocol errors, ${r.unmatched} task_progress without a page` : '');

try {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ocr-bench-api-'));
  lifecycle.defer('scratch', () => rm(scratch, { recursive: true, force: true }));
  const temporal = await startTemporalDevServer({ port: await freePort(), log });
  lifecycle.defer('temporal', () => temporal.stop());
  const admin = await adminDatabase(scratch, log);
  lifecycle.defer('embedded postgres', () => admin.embedded?.stop());
  const adminClient = new pg.Client({ connectionString: admin.url });
  await adminClient.connect();
  lifecycle.defer('admin client', () => adminClient.end());
  const dbName = `ocr_bench_${process.pid}_${randomBytes(2).toString('hex')}`;
  await adminClient.query(`create database "${dbName}"`);
  lifecycle.defer('bench database', () => adminClient.query(`drop database if exists "${dbName}" with (force)`));
  const dbUrl = Object.assign(new URL(admin.url), { pathname: `/${dbName}` }).toString();

  const pool = createPool(dbUrl, 1);
  await migrate(pool);
  await pool.end();
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  lifecycle.defer('bench client', () => db.end());
  const seedStarted = Date.now();
  const seeded = await seedTasks(db, TASKS);
  console.log(`# seeded ${seeded.ids.length} tasks and ${seeded.pages} pages (${seeded.sizeMb} MB with indexes) in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const api = await startOcrProcess('api', {
    DATABASE_URL: dbUrl, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `bench-api-${Date.now()}`,
    PASSWORD, PORT: String(port), DATA_DIR: scratch, LOG_LEVEL: 'info',
  }, '"API listening"');
  lifecycle.defer('api', () => stopProcess(api));
  const apiCpu = () => cpuSeconds(api.pid!);
  const origin = `http://127.0.0.1:${port}`;

  if (wanted('http')) {
    console.log(`# HTTP: ${HTTP.connections.join(' and ')} connections, ${HTTP.durationS} s per route after ${HTTP.warmupS} s of warm-up, autocannon in the bench process`);
    const pick = () => seeded.ids[Math.floor(Math.random() * seeded.ids.length)]!;
    const routes: Array<[string, () => string]> = [
      ['GET /api/tasks/{id} (random of 10,000)', () => `/${PASSWORD}/api/tasks/${pick()}`],
      ['GET /api/tasks?limit=100', () => `/${PASSWORD}/api/tasks?limit=100`],
      ['GET /api/tasks?status=completed&limit=100&offset=5000', () => `/${PASSWORD}/api/tasks?status=completed&limit=100&offset=5000`],
      ['GET /api/tasks/{id}/progress (50-page PDF)', () => `/${PASSWORD}/api/tasks/${seeded.pdf50}/progress`],
    ];
    for (const connections of HTTP.connections) {
      for (const [name, nextPath] of routes) report(fmtHttp(await loadRoute({ origin, ...HTTP }, connections, name, nextPath, apiCpu)));
    }
    report(`API peak RSS after the HTTP runs: ${await peakRssMb(api.pid!)} MB`);
  }

  if (wanted('ws')) {
    const url = `ws://127.0.0.1:${port}/${PASSWORD}/ws`;
    if (!(await probeWebSocket(url))) {
      report(`ws: the API answers no WebSocket upgrade at /${PASSWORD}/ws (no hub in this build): not measured`);
    } else {
      console.log(`# WebSocket: ${WS.clients} clients in ${WS.threads} worker threads of the bench process, ${WS.clients / WS.tasks} per task on ${WS.tasks} processing tasks; ` +
        `page_completed events by pg_notify for ${WS.durationS} s per rate (each becomes page_completed + task_progress to every subscriber)`);
      const { connectMs } = await runWsLoad(
        { url, db, taskIds: seeded.processing.slice(0, WS.tasks), taskPages: 50, ...WS },
        (run) => report(fmtWs(run)),
        apiCpu,
      );
      report(`ws connect + subscribe + snapshot of all ${WS.clients} clients: ${connectMs.toFixed(0)} ms; API peak RSS ${await peakRssMb(api.pid!)} MB`);
    }
  }

  if (only.length === 0) {
    await writeFile(path.join(root, 'docs/benchmarks-api.md'), `# API benchmarks

Written by \`npm run bench:api\` (bench/api.ts) on ${new Date().toISOString().slice(0, 10)}.

Machine: ${machine}; ${load} (well above 0, the figures are skewed by other work).

The database holds ${TASKS.toLocaleString('en')} tasks and ${seeded.pages.toLocaleString('en')} page rows (${seeded.sizeMb} MB with indexes):
a year of use, 60 % images and 40 % PDFs of 1–50 pages, 86 % completed, the rest partial, failed,
cancelled, processing or pending, each finished page with 800–4,000 characters of Markdown. The API
is one \`ocr api\` process launched as the Dockerfile launches it (its pool has 10 connections);
the load comes from other threads, never the API's own.

HTTP: autocannon, ${HTTP.durationS} s per route after a ${HTTP.warmupS} s warm-up, with ${HTTP.connections[0]} connections (throughput; latency is
then mostly queueing) and with ${HTTP.connections[1]} (the time one request takes when nothing else runs); latencies are
whole milliseconds. WebSocket: ${WS.clients} clients in ${WS.threads} worker threads, ${WS.clients / WS.tasks} subscribed to each of ${WS.tasks}
processing tasks; page_completed events published with pg_notify on the workers' channel at a fixed
rate for ${WS.durationS} s, each delivered as page_completed + task_progress to every subscriber of its task, so
one event per second is ${2 * (WS.clients / WS.tasks)} messages per second. Lag runs from the publishing
statement to the client's receipt; the ramp stops once the p99 lag passes 2 s or messages go missing.
API CPU is the API process's CPU time over the run (100 % = one core); clients CPU is the bench
process's (publisher and client threads), which shares the same cores.

\`\`\`
${lines.join('\n')}
\`\`\`
`);
    console.log('# written to docs/benchmarks-api.md');
  }
} finally {
  await lifecycle.shutdown();
}
