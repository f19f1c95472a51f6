/**
 * `npm run bench`: PDF throughput, memory and fairness of the whole stack against the model stub at
 * a fixed latency, plus raw render speed. Prints one line per scenario and writes docs/benchmarks.md.
 * The API and the worker run as separate compiled processes (`ocr api`, `ocr worker`), so each
 * one's peak RSS is its own.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { pino } from 'pino';
import { createPdfPool } from '../src/pdf/pool.js';
import { createLifecycle, stopOnSignals } from '../src/main/lifecycle.js';
import { freePort } from '../src/main/processes.js';
import { startTemporalDevServer } from '../src/main/temporal-dev-server.js';
import { countActivityWorkers } from '../src/temporal/task-queue.js';
import { taggedImage } from '../test/helpers/images.js';
import { startModelStub, type ModelStub, type StubCall } from '../test/helpers/model-stub.js';
import { makePdf, makeScanPdf, pageTags } from '../test/helpers/pdfs.js';
import { bytesFigures } from './bytes.js';
import { adminDatabase } from '../test/helpers/services.js';
import { machine, peakRssMb, root, startOcrProcess, stopProcess } from './processes.js';
import { loopingEvery, pageAnswer, qualityFigures } from './quality.js';
import { previewFigures } from './previews.js';
import { exportFigures } from './exports.js';
import { webhookFigures } from './webhooks.js';
import { mixedFigures } from './mixed.js';

const execFileAsync = promisify(execFile);
const LATENCY_MS = 2000;
const CONCURRENCY = 8;
/** Per worker in the scale scenario: small, so that a second worker adds visibly more model calls. */
const SCALE_CONCURRENCY = 4;
const DPI = 200;
// As the worker renders with the default IMAGE_MAX_SIDE (A4 at 200 DPI is 1654 × 2339: within it).
const PAGE_SIZE = { dpi: DPI, maxSide: 2560, encoding: { format: 'auto', quality: 85 } } as const;
const TEXT_LINES = 40; // a dense page of text, so rendering costs what real pages cost
/** Pages of the scan-heavy PDF: about 200 MB of scans, as MAX_PDF_SIZE_MB allows by default. */
const SCAN_PAGES = 64;
const log = pino({ level: 'warn' });

// The machine may be shared: its load says how far to trust the figures.
const startLoad = os.loadavg()[0]!.toFixed(1);
console.log(`# machine: ${machine}, load average ${startLoad}`);
console.log(`# model stub latency ${LATENCY_MS} ms, CONCURRENCY ${CONCURRENCY}, PDF_DPI ${DPI}, BATCH_SIZE 8, ${TEXT_LINES} lines of text per A4 page`);

// Every release step runs even if another fails, and Ctrl-C releases too: no orphaned servers.
const lifecycle = createLifecycle(log);
stopOnSignals(lifecycle, log);
void lifecycle.done.then(() => process.exit());
const scratch = await mkdtemp(path.join(os.tmpdir(), 'ocr-bench-'));
lifecycle.defer('scratch', () => rm(scratch, { recursive: true, force: true }));
const temporal = await startTemporalDevServer({ port: await freePort(), log });
lifecycle.defer('temporal', () => temporal.stop());
const temporalConnection = await Connection.connect({ address: temporal.address });
lifecycle.defer('temporal connection', () => temporalConnection.close());
const admin = await adminDatabase(scratch, log);
lifecycle.defer('embedded postgres', () => admin.embedded?.stop());
const dbName = `ocr_bench_${randomBytes(4).toString('hex')}`;
const adminClient = new pg.Client({ connectionString: admin.url });
await adminClient.connect();
lifecycle.defer('admin client', () => adminClient.end());
await adminClient.query(`create database "${dbName}"`);
lifecycle.defer('bench database', () => adminClient.query(`drop database if exists "${dbName}" with (force)`));
const dbUrl = Object.assign(new URL(admin.url), { pathname: `/${dbName}` }).toString();
const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
// At the end, `drop database … with (force)` can reach a connection the ending pool is still closing.
db.on('error', (err) => log.debug({ err }, 'bench pool connection closed'));
lifecycle.defer('pool', () => db.end());
const stub = await startModelStub({ readTags: false });
lifecycle.defer('stub', () => stub.close());
stub.latencyMs = LATENCY_MS;

interface TaskRow { status: string; created_at: Date; completed_at: Date | null }

async function waitForTask(id: string): Promise<TaskRow> {
  for (;;) {
    const { rows } = await db.query<TaskRow>('select status, created_at, completed_at from tasks where id = $1', [id]);
    if (rows[0]?.completed_at) return rows[0];
    await sleep(200);
  }
}

/**
 * Uploads as curl does, from a file on disk: Node's fetch builds a multipart body three times slower
 * (a 185 MB scan took 4.2 s to send to a server that had it all after 1.4 s; curl 1.2 s), which
 * would count the load generator's time as the service's.
 */
async function upload(apiUrl: string, route: 'pdf' | 'image', file: string, name: string, fields: Record<string, string> = {}): Promise<string> {
  const options = Object.entries(fields).flatMap(([field, value]) => ['-F', `${field}=${value}`]);
  const { stdout } = await execFileAsync('curl', ['-sS', ...options, '-F', `file=@${file};filename=${name}`, `${apiUrl}/api/async/${route}`]);
  const body = JSON.parse(stdout) as { task_id?: string; detail?: string };
  if (!body.task_id) throw new Error(`upload failed: ${body.detail}`);
  return body.task_id;
}

/** Writes `bytes` to a file of the scratch directory, for curl to upload. */
async function scratchFile(bytes: Buffer): Promise<string> {
  const file = path.join(scratch, `upload-${randomBytes(4).toString('hex')}`);
  await writeFile(file, bytes);
  return file;
}

interface PdfRun { taskId: string; calls: StubCall[]; firstCallS: number; firstPageS: number; utilization: number; tailS: number; workerStartRssMb: number; pages: number; wallS: number; idealS: number; ratio: number; pagesPerS: number; callsPerPage: number; workerRssMb: number; apiRssMb: number; status: string; imageS?: number }

/** Waits until `count` workers poll the task queue, so the task's first capacity check sees them all. */
async function waitForWorkers(taskQueue: string, count: number): Promise<void> {
  while ((await countActivityWorkers(temporalConnection.workflowService, 'default', taskQueue)) < count) await sleep(100);
}

interface RunOptions {
  /** Submit a one-page image this long after the PDF (fairness). */
  imageAtMs?: number;
  /** `ocr worker` processes, each with its own DATA_DIR and metrics port. */
  workers?: number;
  /** CONCURRENCY of each worker. */
  concurrency?: number;
  /** The model (default: the stub answering after LATENCY_MS). */
  model?: ModelStub;
  /** The PDF of `pages` pages (default: TEXT_LINES of text a page). */
  pdf?: Buffer;
  /** A model call's time in the ideal (default LATENCY_MS). */
  callMs?: number;
  /**
   * Copy pages earlier runs read (CACHE=on). Off by default: the scenarios run the same PDFs
   * several times (pdf-200 and scale), and each run is to read every page.
   */
  reuse?: boolean;
  /** Task options sent beside the file (e.g. pages). */
  fields?: Record<string, string>;
}

interface Services { apiUrl: string; workers: ChildProcess[]; api: ChildProcess; stop(): Promise<void> }

/** An API and `workers` worker processes on a task queue of their own, launched as deployed. */
async function startServices({ workers = 1, concurrency = CONCURRENCY, model = stub, reuse = false, env: extra = {} }: Pick<RunOptions, 'workers' | 'concurrency' | 'model' | 'reuse'> & { env?: Record<string, string> }): Promise<Services> {
  const port = await freePort();
  const taskQueue = `bench-${Date.now()}-${randomBytes(2).toString('hex')}`;
  const env = {
    DATABASE_URL: dbUrl, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue,
    API_BASE_URL: model.url, OPENAI_API_KEY: 'sk-bench', MODEL: 'stub-model', PASSWORD: 'pwd', PORT: String(port),
    CONCURRENCY: String(concurrency), PDF_DPI: String(DPI), BATCH_SIZE: '8', MAX_PDF_PAGES: '500', LOG_LEVEL: 'warn', CACHE: reuse ? 'on' : 'off',
    ...extra,
  };
  // As an operator starts several on one machine: each its own data directory and metrics port.
  const workerProcs = await Promise.all(Array.from({ length: workers }, async () => startOcrProcess('worker',
    { ...env, DATA_DIR: await mkdtemp(path.join(scratch, 'worker-')), METRICS_PORT: '0', LOG_LEVEL: 'info' }, '"worker started"')));
  const api = await startOcrProcess('api', { ...env, DATA_DIR: await mkdtemp(path.join(scratch, 'api-')), LOG_LEVEL: 'info' }, '"API listening"');
  await waitForWorkers(taskQueue, workers);
  return {
    apiUrl: `http://127.0.0.1:${port}/pwd`, workers: workerProcs, api,
    async stop() {
      await stopProcess(api);
      await Promise.all(workerProcs.map(stopProcess));
    },
  };
}

async function runPdf(pages: number, { imageAtMs, workers = 1, concurrency = CONCURRENCY, model = stub, pdf: given, callMs = LATENCY_MS, reuse = false, fields }: RunOptions = {}): Promise<PdfRun> {
  const services = await startServices({ workers, concurrency, model, reuse });
  const { apiUrl, api, workers: workerProcs } = services;
  const worker = workerProcs[0]!;
  const workerStartRssMb = await peakRssMb(worker.pid!);
  const capacity = concurrency * workers;
  try {
    const pdf = await scratchFile(given ?? makePdf(pageTags(pages), { textLines: TEXT_LINES }));
    const calls = model.calls.length;
    const started = Date.now();
    const pdfId = await upload(apiUrl, 'pdf', pdf, `bench-${pages}.pdf`, fields);
    let imageRun: Promise<number> | undefined;
    if (imageAtMs !== undefined) {
      const image = await scratchFile(await taggedImage(4242, 'png', 1654, 2339));
      imageRun = sleep(imageAtMs).then(async () => {
        const row = await waitForTask(await upload(apiUrl, 'image', image, 'quick.png'));
        return (row.completed_at!.getTime() - row.created_at.getTime()) / 1000;
      });
    }
    const row = await waitForTask(pdfId);
    const wallS = (row.completed_at!.getTime() - started) / 1000;
    const imageS = await imageRun;
    const idealS = (Math.ceil(pages / capacity) * callMs) / 1000;
    const runCalls = model.calls.slice(calls);
    // A stopped stream's call ends when the client hung up.
    const pdfCalls = runCalls.filter((c) => c.closedAt !== undefined);
    const first = Math.min(...pdfCalls.map((c) => c.receivedAt));
    const last = Math.max(...pdfCalls.map((c) => c.closedAt!));
    // Mean number of model calls in flight while the model was in use, over CONCURRENCY × workers.
    const busy = pdfCalls.reduce((sum, c) => sum + (c.closedAt! - c.receivedAt), 0);
    const { rows: [saved] } = await db.query<{ first: Date }>('select min(created_at) as first from pages where task_id = $1', [pdfId]);
    return {
      taskId: pdfId, calls: runCalls, firstCallS: (first - started) / 1000, firstPageS: (saved!.first.getTime() - started) / 1000, utilization: busy / ((last - first) * capacity),
      tailS: (row.completed_at!.getTime() - last) / 1000, workerStartRssMb,
      pages, wallS, idealS, ratio: wallS / idealS, pagesPerS: pages / wallS,
      callsPerPage: (runCalls.length - (imageRun ? 1 : 0)) / pages,
      workerRssMb: Math.max(...(await Promise.all(workerProcs.map((w) => peakRssMb(w.pid!))))), apiRssMb: await peakRssMb(api.pid!), status: row.status, imageS,
    };
  } finally {
    await services.stop();
  }
}

async function renderRate(file: string, threads: number, pages: number): Promise<number> {
  const pool = createPdfPool(threads);
  try {
    await Promise.all(Array.from({ length: threads }, (_, i) => pool.render(file, i + 1, PAGE_SIZE))); // warm up every thread
    const started = Date.now();
    await Promise.all(Array.from({ length: pages }, (_, i) => pool.render(file, (i % 200) + 1, PAGE_SIZE)));
    return pages / ((Date.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

// `npm run bench -- pdf-200` runs only the scenarios named; docs/benchmarks.md is written by full runs.
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);
const lines: string[] = [];
const report = (line: string) => {
  console.log(line);
  lines.push(line);
};
const fmt = (r: PdfRun) =>
  `wall ${r.wallS.toFixed(1)} s, ideal ${r.idealS.toFixed(0)} s, ratio ${r.ratio.toFixed(2)}, ${r.pagesPerS.toFixed(2)} pages/s, ` +
  `${r.callsPerPage.toFixed(2)} calls/page, worker peak RSS ${r.workerRssMb} MB (${r.workerStartRssMb} MB after start), API peak RSS ${r.apiRssMb} MB; ` +
  `first model call after ${r.firstCallS.toFixed(1)} s, first page saved after ${r.firstPageS.toFixed(1)} s, model busy ${(r.utilization * 100).toFixed(0)} %, ${r.tailS.toFixed(1)} s from last answer to done (${r.status})`;

/** docs/benchmarks-mixed.md: how the mixed scenario (bench/mixed.ts) measures, then its lines. */
const mixedDoc = (minutes: number, mixed: string[]) => `# Benchmark: a day's mixed load

Written by \`npm run bench -- mixed\` (bench/mixed.ts) on ${new Date().toISOString().slice(0, 10)} with ${minutes} minutes of load
(\`BENCH_MIXED_MINUTES\`, default 10). It runs only when named, never in the argument-less \`npm run bench\`.

Machine: ${machine}; load average ${startLoad} when the run began, ${os.loadavg()[0]!.toFixed(1)} at its end.

One \`ocr api\` and one \`ocr worker\` (CONCURRENCY ${CONCURRENCY}, BATCH_SIZE 8, PDF_DPI ${DPI}, CACHE off), launched as in
docs/benchmarks.md, against the model stub answering after ${LATENCY_MS} ms. The stub fails 5 % of the calls, drawn
per call from a seeded generator: 2 % with a 500 and 2 % with a 429 (Retry-After: 1), both retried within
the page, and 1 % with a 400, which fails the page, so that its task ends partial (or failed) and is retried.

For the duration a load generator in the bench process submits through the API what a day brings, planned
up front from a seeded generator (the same mix every run), every file made before the load starts and each
one distinct (stored anew, as real uploads are): a one-page A4 image (a 1654 × 2339 PNG) every 1.5–4.5 s,
a PDF of 5–50 pages (${TEXT_LINES} lines of text a page) every 10–30 s, a 300-page PDF at 1:30 and then every 5
minutes, and every minute a batch upload (\`/api/async/batch\`) of four images and a PDF of 5–10 pages,
all sent by curl as in the other scenarios. Every 8th PDF is cancelled 3–15 s after its submit and every
20th image at once; a task that ends partial or failed is retried (twice at most); every 5th multi-page
task that completes has one page read again (\`/pages/{n}/retry\`). The images, every other PDF and every
other 300-page one (the first is polled) are watched over the WebSocket (three connections, like three
browser tabs, subscribing and unsubscribing), the rest by pollers asking \`GET /api/tasks/{id}\` every
second over kept-alive connections. After the load, the queue drains.

- **Model in use**: model calls in flight (from the stub's record of every call) over CONCURRENCY, per
  second. *Queued* is a second at whose start and end more pages were unfinished (in pending and
  processing tasks, sampled from Postgres every second) than CONCURRENCY can take.
- **Images**: from just before the upload to the task_completed message on the WebSocket. The steps
  (of the images whose first run completed) come from the rows' timestamps: the upload (to the task
  row), the run's start (workflow and startTask), the wait for its batch to begin (activity slots), the
  page (render, the wait for a model-call slot, the call and its retries), the outcome recorded, and
  the WebSocket message. Their p95s do not add up to the total's.
- **PDF pages/min**: completed PDF pages saved during the load, and up to the last one saved.
- **API**: every poller's request, to its last byte.
- **RSS**: VmRSS of each process every 5 s: the mean over the 30 s after the warm-up (the first minute,
  a quarter of a shorter run), over the last 30 s of the load, then once drained, and the peak (VmHWM).
- **Postgres**: \`pg_database_size\` before the load and after the drain, over all page rows written.
- **Pages**: checked in the database for every task submitted. Each page of every task that ended
  (cancelled ones excepted: they keep what was done) has exactly one row; a row outside the task's pages,
  task counters that disagree with its rows, or an outcome (\`result_summary\`) that counts other pages
  than the rows hold is counted as a duplicate. Beside them: completed pages announced twice on the
  WebSocket, and model answers that left no page row (answers the stub sent in full, minus completed rows,
  minus pages read again on purpose). No task may be pending or processing, and no ocrTask run open in
  Temporal, after the drain.

\`\`\`
${mixed.join('\n')}
\`\`\`
`;

try {
  if (wanted('render')) {
    const renderFile = path.join(scratch, 'render.pdf');
    await writeFile(renderFile, makePdf(pageTags(200), { textLines: TEXT_LINES }));
    const cores = os.availableParallelism();
    const one = await renderRate(renderFile, 1, 24);
    const all = await renderRate(renderFile, cores, 24 * cores);
    report(`render-only   ${DPI} DPI A4: ${one.toFixed(2)} pages/s on 1 thread, ${all.toFixed(2)} pages/s on ${cores} threads`);
  }
  if (wanted('pdf-200')) report(`pdf-200       ${fmt(await runPdf(200))}`);
  if (wanted('pdf-500')) {
    const big = await runPdf(500, { imageAtMs: 10_000 });
    report(`pdf-500       ${fmt(big)}`);
    report(`fairness      one-page image submitted 10 s into the 500-page run finished in ${big.imageS!.toFixed(1)} s (${(big.imageS! / (LATENCY_MS / 1000)).toFixed(1)} × latency)`);
  }
  if (wanted('quality')) {
    // Every tenth page loops at temperature 0. A good page takes LATENCY_MS: half before its first
    // token, half streaming its ~3,000 characters, so a loop's cost in time shows too.
    const answer = pageAnswer();
    const loops = loopingEvery(10);
    const model = await startModelStub({ readTags: false, answer: () => answer, actionFor: loops.actionFor });
    lifecycle.defer('quality stub', () => model.close());
    model.latencyMs = LATENCY_MS / 2;
    model.charsPerSecond = answer.length / (LATENCY_MS / 2 / 1000);
    const run = await runPdf(100, { model });
    const q = qualityFigures(run.calls, loops.loopPages, model.latencyMs);
    const { rows } = await db.query<{ status: string; pages: number }>(
      'select status, count(*)::int as pages from pages where task_id = $1 group by status order by status', [run.taskId]);
    report(`quality       100 pages, ${q.loopPages} loop at temperature 0: wall ${run.wallS.toFixed(1)} s, ideal ${run.idealS.toFixed(0)} s (no loops), ratio ${run.ratio.toFixed(2)} (target ≤ 1.15); ` +
      `pages ${rows.map((r) => `${r.pages} ${r.status}`).join(', ')} (${run.status})`);
    report(`quality       loop pages: at most ${q.maxLoopCalls} calls (target ≤ 3), ${q.loopCallsMean.toFixed(2)} on average (good pages ${q.goodCallsMean.toFixed(2)}); ` +
      `output ${q.loopOutputRatio.toFixed(2)} × a good page's (target ≤ 3); each loop stopped after ${q.abortedChars.min}–${q.abortedChars.max} characters, ` +
      `${q.abortedAfterS.toFixed(2)} s after its first token`);
    report(`quality       good pages' calls took ${q.goodCallS.mean.toFixed(2)} s on average (max ${q.goodCallS.max.toFixed(2)} s) for the stub's ${(LATENCY_MS / 1000).toFixed(1)} s; ` +
      `first model call after ${run.firstCallS.toFixed(1)} s, model busy ${(run.utilization * 100).toFixed(0)} %, ${run.tailS.toFixed(1)} s from last answer to done; worker peak RSS ${run.workerRssMb} MB`);
  }
  if (wanted('bytes')) {
    for (const b of await bytesFigures(PAGE_SIZE)) {
      report(`bytes         ${b.kind.padEnd(8)} page, 200 DPI: ${(b.pngBytes / 1000).toFixed(0)} KB as PNG (as sent before), ${(b.sentBytes / 1000).toFixed(0)} KB sent as ${b.sentType} ` +
        `(${((b.sentBytes / b.pngBytes) * 100).toFixed(0)} %), rendered and encoded in ${b.msPerPage.toFixed(0)} ms; tesseract reads ${(b.agreement * 100).toFixed(1)} % of the PNG's ${b.words} words the same`);
    }
  }
  if (wanted('scan-heavy')) {
    // Scanned pages of ~3 MB each (300 DPI grey, stored as JPEG at quality 97), at a fast model.
    const pages = SCAN_PAGES;
    const pdf = await makeScanPdf(pageTags(pages), { stored: 97 });
    const model = await startModelStub({ readTags: false });
    lifecycle.defer('scan stub', () => model.close());
    model.latencyMs = 500;
    const run = await runPdf(pages, { model, pdf, callMs: 500 });
    const sent = run.calls.reduce((sum, c) => sum + c.imageBytes, 0) / run.calls.length;
    report(`scan-heavy    ${pages} scanned pages, ${(pdf.length / 2 ** 20).toFixed(0)} MB (${(pdf.length / pages / 2 ** 20).toFixed(1)} MB a page), model at 500 ms: ` +
      `wall ${run.wallS.toFixed(1)} s, ideal ${run.idealS.toFixed(1)} s, ratio ${run.ratio.toFixed(2)} (target ≤ 1.5), ${(sent / 1000).toFixed(0)} KB sent a page, ` +
      `worker peak RSS ${run.workerRssMb} MB (target ≤ 350), API peak RSS ${run.apiRssMb} MB; first model call after ${run.firstCallS.toFixed(1)} s, model busy ${(run.utilization * 100).toFixed(0)} % (${run.status})`);
  }
  if (wanted('reuse')) {
    // Pages read once are copied, not read again (CACHE on): the same PDF again, then a wider range.
    const again = makePdf(pageTags(200, 5001), { textLines: TEXT_LINES });
    await runPdf(200, { pdf: again, reuse: true });
    const second = await runPdf(200, { pdf: again, reuse: true });
    report(`reuse         the same 200-page PDF submitted again: wall ${second.wallS.toFixed(2)} s (target < 2 s), ${second.calls.length} model calls (target 0) (${second.status})`);
    const long = makePdf(pageTags(500, 6001), { textLines: TEXT_LINES });
    await runPdf(200, { pdf: long, reuse: true, fields: { pages: '1-200' } });
    const wider = await runPdf(300, { pdf: long, reuse: true, fields: { pages: '1-300' } });
    report(`reuse         pages 1-300 of a 500-page PDF after pages 1-200 were read: ${wider.calls.length} model calls (target 100), wall ${wider.wallS.toFixed(1)} s (${wider.status})`);
  }
  if (wanted('scale')) {
    // The same PDF with one `ocr worker`, then two, against one API, Temporal and Postgres.
    const load = () => `load average ${os.loadavg()[0]!.toFixed(1)}`;
    const scaleLine = (r: PdfRun) =>
      `wall ${r.wallS.toFixed(1)} s, ideal ${r.idealS.toFixed(0)} s, ${r.pagesPerS.toFixed(2)} pages/s, ${r.callsPerPage.toFixed(2)} calls/page, ` +
      `model busy ${(r.utilization * 100).toFixed(0)} %, worker peak RSS ${r.workerRssMb} MB (${r.status})`;
    const loadBefore = load();
    const one = await runPdf(200, { workers: 1, concurrency: SCALE_CONCURRENCY });
    report(`scale-1       1 worker × CONCURRENCY ${SCALE_CONCURRENCY}, 200 pages: ${scaleLine(one)}; ${loadBefore}`);
    const loadBetween = load();
    const two = await runPdf(200, { workers: 2, concurrency: SCALE_CONCURRENCY });
    report(`scale-2       2 workers × CONCURRENCY ${SCALE_CONCURRENCY}, 200 pages: ${scaleLine(two)}; ${loadBetween}`);
    report(`scale         two workers: ${(two.pagesPerS / one.pagesPerS).toFixed(2)} × the throughput of one (${load()} after)`);
  }

  if (wanted('webhooks')) {
    const services = await startServices({ env: webhookFigures.env });
    try {
      const w = await webhookFigures.run({
        tasks: 100, overMs: 50_000, image: await scratchFile(await taggedImage(4343)),
        submit: (file, fields) => upload(services.apiUrl, 'image', file, 'hook.png', fields),
        completedAt: async (id) => (await waitForTask(id)).completed_at!,
      });
      report(`webhooks      ${w.tasks} one-page tasks over ${(w.spanS).toFixed(0)} s, each with a webhook_url: ${w.delivered} task.completed events delivered (${w.signed} verified with standardwebhooks); ` +
        `task end to delivery p50 ${w.p50Ms} ms, p95 ${w.p95Ms} ms (target < 1000), max ${w.maxMs} ms; worker peak RSS ${await peakRssMb(services.workers[0]!.pid!)} MB`);
    } finally {
      await services.stop();
    }
  }

  if (wanted('previews')) {
    // No worker: its rendering would share the cores with the API's. The tasks stay pending, and
    // their pages can be looked at all the same.
    const services = await startServices({ workers: 0 });
    try {
      const figures = await previewFigures.run({
        apiUrl: services.apiUrl, apiPid: services.api.pid!,
        submit: async (pdf, name) => upload(services.apiUrl, 'pdf', await scratchFile(pdf), name),
      });
      for (const line of figures) report(`previews      ${line}`);
    } finally {
      await services.stop();
    }
  }

  if (wanted('exports')) {
    // Each page's answer the quality scenario's ~3,000 characters and a line of Chinese: a dense text layer.
    const model = await startModelStub({ readTags: false, answer: () => `${pageAnswer()}\n光学字符识别把图像变成可搜索的文字。` });
    model.latencyMs = 50;
    const services = await startServices({ model, concurrency: 16 });
    try {
      const scanPages = 20;
      const cases: Array<[string, Buffer]> = [
        [`500-page text PDF (${TEXT_LINES} lines a page)`, makePdf(pageTags(500), { textLines: TEXT_LINES })],
        [`${scanPages}-page scan (300 DPI grey JPEGs)`, await makeScanPdf(pageTags(scanPages))],
      ];
      for (const [what, pdf] of cases) {
        const taskId = await upload(services.apiUrl, 'pdf', await scratchFile(pdf), 'export.pdf');
        await waitForTask(taskId);
        report(`export-pdf    ${what}: ${await exportFigures.run({ apiUrl: services.apiUrl, apiPid: services.api.pid!, taskId, originalBytes: pdf.length })}`);
      }
    } finally {
      await services.stop();
      await model.close();
    }
  }

  // Ten minutes of load and its drain by default: only when named, never in the argument-less full run.
  if (only.includes('mixed')) {
    const minutes = mixedFigures.minutes();
    const faults = mixedFigures.createFaults();
    const model = await startModelStub({ readTags: false, actionFor: faults.actionFor });
    lifecycle.defer('mixed stub', () => model.close());
    model.latencyMs = LATENCY_MS;
    const services = await startServices({ model });
    const workflows = new Client({ connection: temporalConnection }).workflow;
    const mixedLines: string[] = [];
    try {
      const figures = await mixedFigures.run({
        minutes, apiUrl: services.apiUrl, apiPid: services.api.pid!, workerPid: services.workers[0]!.pid!, db, calls: model.calls, faults,
        concurrency: CONCURRENCY, latencyMs: LATENCY_MS, textLines: TEXT_LINES, dir: await mkdtemp(path.join(scratch, 'mixed-')),
        upload: (route, file, name) => upload(services.apiUrl, route, file, name),
        openRuns: async () => (await workflows.count("WorkflowType = 'ocrTaskWorkflow' AND ExecutionStatus = 'Running'")).count,
      });
      for (const line of figures) mixedLines.push(`mixed         ${line}`);
    } finally {
      await services.stop();
    }
    for (const line of mixedLines) report(line);
    await writeFile(path.join(root, 'docs/benchmarks-mixed.md'), mixedDoc(minutes, mixedLines));
    console.log('# written to docs/benchmarks-mixed.md');
  }

  const doc = `# Benchmarks

Written by \`npm run bench\` (bench/pdf.ts) on ${new Date().toISOString().slice(0, 10)}.

Machine: ${machine}; load average ${startLoad} when the run began.

The model is the test stub answering after a fixed ${LATENCY_MS} ms; CONCURRENCY ${CONCURRENCY}, PDF_DPI ${DPI},
BATCH_SIZE 8; each A4 page carries ${TEXT_LINES} lines of text. Wall time runs from the upload to the task's
completion; the ideal is ceil(pages / CONCURRENCY) × latency. The API and the worker are separate
processes, launched as the Dockerfile and \`npm start\` launch them; peak RSS is each one's VmHWM
(it varies by up to ±50 MB between runs with the timing of garbage collection: the worker's live
heap stays at about 40 MB through a 500-page task; about 220 MB of its peak is there once it has
started and warmed its two render threads).

The quality lines run a 100-page PDF against a model that falls into a repetition loop at temperature 0
on every tenth page and answers the others with ~3,000 characters, streamed: half of the ${LATENCY_MS} ms
before the first token, half streaming. The ideal is that of the same PDF without loops; the output of a
page is the characters the model generated for it over all its calls, the stopped one included.

The scale lines run the 200-page PDF against one API with one \`ocr worker\` process and then with
two, each with CONCURRENCY ${SCALE_CONCURRENCY} (the ideal is then ceil(pages / (CONCURRENCY × workers)) × latency), all
on this one machine: the second worker doubles the model calls, while rendering shares the same cores.
The load average is the machine's at the start of each run.

The bytes lines render one page of each kind at 200 DPI and encode it as the worker does (IMAGE_FORMAT
auto, JPEG_QUALITY 85): a scanned-like page (a 300 DPI grey scan stored as JPEG: text softened by
the optics, paper grain and sensor noise; ~1.9 MB as PNG), a born-digital page of text, and a page
with a colour photo over half of it. The PNG is what was sent before IMAGE_FORMAT existed; the words
are tesseract's (Debian's tesseract-ocr, installed by the bench when missing) reading of the PNG,
compared as multisets with its reading of what is sent.

The reuse lines submit a 200-page PDF twice (the second time every page is copied from the first
task) and pages 1-300 of a 500-page PDF after pages 1-200 of it (only pages 201-300 are read); the
other scenarios run with CACHE=off, since several read the same PDF.

The scan-heavy line runs 64 such scanned pages of ~3 MB each against a model answering in 500 ms;
the wall time includes the upload of the whole PDF (sent by curl, as a client sends a large file:
Node's fetch takes three times as long to send it) and storing it in Postgres, about 4 s of the
first model call's 6 s on this machine; each page is then read from its JPEG (src/pdf/scanned.ts).

The webhooks line submits 100 one-page images over 50 s, each with a webhook_url pointing at a
receiver on this machine that verifies every signature with \`standardwebhooks\`; the latency runs
from the task's completed_at to the arrival of its task.completed at the receiver.

The previews lines ask one \`ocr api\` (no worker runs) for page images over HTTP, as the review
page does: each page of a text PDF and of a scanned one at width 1000, one request after another
(drawn by the API's render threads, then from its disk cache, then revalidated with If-None-Match),
and \`GET /api/tasks/{id}\` every 20 ms, first with nothing else to do, then while bursts of 50
cold thumbnails (a task's whole strip) are asked for all at once (as over HTTP/2) and six at a time
(as a browser sends them over HTTP/1.1), and while cached ones are asked for all at once.

The export-pdf lines read a finished task's searchable PDF (\`export?format=pdf\`) twice: made by
the API's export thread, then from its disk cache. Every page's text is ~3,000 characters with a
line of Chinese. The API's peak RSS is reset just before (clear_refs), so the peak is the export's;
the thread ends 5 s after its job.

For reference, zerox measured 113 s and 386 MB peak RSS for the 200-page scenario on this kind of machine.

The API under load (task queries at 10,000 tasks, WebSocket fan-out to 500 clients) is in
[benchmarks-api.md](benchmarks-api.md), written by \`npm run bench:api\`.

\`\`\`
${lines.join('\n')}
\`\`\`
`;
  if (only.length === 0) {
    await writeFile(path.join(root, 'docs/benchmarks.md'), doc);
    console.log('# written to docs/benchmarks.md');
  }
} catch (err) {
  // Printed here: the shutdown below ends the process before an uncaught error would be.
  console.error(err);
  process.exitCode = 1;
} finally {
  await lifecycle.shutdown();
}
