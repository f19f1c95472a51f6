/**
 * The previews scenario of `npm run bench`: page images drawn on demand by the API's own render
 * threads (GET /api/tasks/{id}/pages/{n}/image): what a render, the disk cache and a revalidation
 * cost a request, and how a cheap JSON route answers while bursts of thumbnails are asked for:
 * all at once (as over HTTP/2, or by a client that sets no limit), six at a time (as a browser sends
 * them over HTTP/1.1), and, as a control, all at once from the disk cache (nothing renders).
 */
import http from 'node:http';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { makePdf, makeScanPdf, pageTags } from '../test/helpers/pdfs.js';
import { cpuSeconds } from './processes.js';
import { percentile } from './stats.js';

/** The review page's width; the A4 pages are those of the other scenarios (40 lines of text, or a 300 DPI scan). */
const WIDTH = 1000;
const TEXT_PAGES = 36;
/** Few: making a scanned page costs the bench half a second. */
const SCAN_PAGES = 10;
const THUMB_WIDTH = 200;
/** Thumbnails asked for at once, as the strip of a task's pages asks for them. */
const BURST = 50;
/** Bursts in a row, each of a fresh task: one lasts about a second, too few probes for a p99. */
const BURSTS = 5;
/** A browser's connections to one host over HTTP/1.1. */
const BROWSER_CONNECTIONS = 6;
const PROBE_EVERY_MS = 20;
const BASELINE_MS = 5000;

interface Run {
  /** http://host:port/{password} */
  apiUrl: string;
  apiPid: number;
  submit(pdf: Buffer, name: string): Promise<string>;
}

interface Answer { status: number; ms: number; bytes: number; etag?: string; type?: string; retried: boolean }

/**
 * A GET whose time runs to the last byte of the answer. Sent again once, as browsers do, when the
 * API closed a kept-alive connection just as it was reused (Node's server drops one idle for 5 s).
 */
function get(url: string, agent: http.Agent, headers: http.OutgoingHttpHeaders = {}, started = performance.now()): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes, etag: res.headers.etag, type: res.headers['content-type'], retried: false }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET') resolve(get(url, agent, headers, started).then((a) => ({ ...a, retried: true })));
      else reject(err);
    });
  });
}

function expectStatus(answers: Answer[], status: number, what: string): Answer[] {
  const wrong = answers.find((a) => a.status !== status);
  if (wrong) throw new Error(`${what}: answered ${wrong.status}, expected ${status}`);
  return answers;
}

function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
const kb = (bytes: number) => `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} KB`;

/** One request after another: a render's own time, with nothing queued before it. */
async function inTurn(urls: string[], agent: http.Agent, headers: (i: number) => http.OutgoingHttpHeaders = () => ({})): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const [i, url] of urls.entries()) answers.push(await get(url, agent, headers(i)));
  return answers;
}

/**
 * GETs `url` every `everyMs` until `until` settles, each on time whether or not the one before has
 * answered (a stalled API shows as long answers, not as fewer requests).
 */
async function probe(url: string, everyMs: number, until: Promise<unknown>): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: true });
  let done = false;
  until.then(() => { done = true; }, () => { done = true; });
  const answers: Array<Promise<Answer>> = [];
  const started = performance.now();
  for (let i = 1; !done; i++) {
    const answer = get(url, agent);
    answer.catch(() => {}); // rejects Promise.all below, not the process before it
    answers.push(answer);
    await sleep(started + i * everyMs - performance.now());
  }
  const all = expectStatus(await Promise.all(answers), 200, 'GET /api/tasks/{id}');
  agent.destroy();
  return all;
}

interface ApiLoad { delayP99Ms: number; delayMaxMs: number; cpu: number; mainThreadCpu: number }

/**
 * The API's own view of `work`: its event loop delay (prom-client's histogram, which each scrape
 * resets) and its CPU, all threads and the main one (100 % = one core).
 */
async function watched<T>({ apiUrl, apiPid }: Run, work: () => Promise<T>): Promise<{ result: T; api: ApiLoad }> {
  const scrape = async () => (await fetch(`${apiUrl}/metrics`)).text();
  await scrape();
  const [cpuBefore, mainBefore, started] = [await cpuSeconds(apiPid), await cpuSeconds(apiPid, apiPid), performance.now()];
  const result = await work();
  const [cpuAfter, mainAfter, seconds] = [await cpuSeconds(apiPid), await cpuSeconds(apiPid, apiPid), (performance.now() - started) / 1000];
  const text = await scrape();
  const gauge = (name: string) => Number(new RegExp(`^ocr_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
  return { result, api: { delayP99Ms: gauge('p99'), delayMaxMs: gauge('max'), cpu: (cpuAfter - cpuBefore) / seconds, mainThreadCpu: (mainAfter - mainBefore) / seconds } };
}

interface PageFigures { pages: number; cold: Answer[]; cached: Answer[]; revalidated: Answer[] }

/** Each page at WIDTH three times: drawn, from the disk cache, and revalidated with its ETag. */
async function pageFigures(imageUrl: (page: number) => string, pages: number, agent: http.Agent): Promise<PageFigures> {
  const urls = pageTags(pages).map(imageUrl);
  const cold = expectStatus(await inTurn(urls, agent), 200, 'cold page image');
  const notWebp = cold.find((a) => a.type !== 'image/webp');
  if (notWebp) throw new Error(`page image answered ${notWebp.type}, expected image/webp`);
  const cached = expectStatus(await inTurn(urls, agent), 200, 'cached page image');
  const revalidated = expectStatus(await inTurn(urls, agent, (i) => ({ 'if-none-match': cold[i]!.etag })), 304, 'revalidation');
  return { pages, cold, cached, revalidated };
}

function pageLine(kind: string, { pages, cold, cached, revalidated }: PageFigures): string {
  const time = (answers: Answer[]) => {
    const s = spread(answers.map((a) => a.ms));
    return `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}`;
  };
  const sizes = cold.map((a) => a.bytes);
  return `${kind}, width ${WIDTH} WebP, ${pages} pages one after another: cold (rendered) ${time(cold)}; cached (disk) ${time(cached)}; ` +
    `304 revalidation ${time(revalidated)}; ${kb(spread(sizes).mean)} a page (${kb(Math.min(...sizes))}–${kb(Math.max(...sizes))})`;
}

/** The URLs with at most `limit` requests in flight, each next one sent as one answers. */
async function inFlight(urls: string[], limit: number, agent: http.Agent): Promise<Answer[]> {
  const answers: Answer[] = [];
  const queue = [...urls];
  await Promise.all(Array.from({ length: Math.min(limit, urls.length) }, async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) answers.push(await get(url, agent));
  }));
  return answers;
}

interface Bursts { probes: { result: Answer[]; api: ApiLoad }; bursts: Array<{ ms: number; answers: Answer[] }> }

/**
 * `probeUrl` every PROBE_EVERY_MS while the bursts run one after another, on connections of their
 * own, each starting `everyMs` after the one before (or as that one ends, if later).
 */
async function probedDuring(run: Run, probeUrl: string, bursts: Array<(agent: http.Agent) => Promise<Answer[]>>, everyMs = 0): Promise<Bursts> {
  const done: Bursts['bursts'] = [];
  const agent = new http.Agent({ keepAlive: true });
  const probes = await watched(run, async () => {
    const asking = (async () => {
      for (const burst of bursts) {
        const started = performance.now();
        const answers = expectStatus(await burst(agent), 200, 'thumbnail');
        done.push({ ms: performance.now() - started, answers });
        await sleep(started + everyMs - performance.now());
      }
    })();
    const answers = await probe(probeUrl, PROBE_EVERY_MS, asking);
    await asking;
    return answers;
  });
  agent.destroy();
  return { probes, bursts: done };
}

function probeLine(what: string, { result, api }: { result: Answer[]; api: ApiLoad }): string {
  const s = spread(result.map((a) => a.ms));
  return `GET /api/tasks/{id} every ${PROBE_EVERY_MS} ms ${what}: p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)} over ${s.n} requests; ` +
    `API event loop delay p99 ${ms(api.delayP99Ms)}, max ${ms(api.delayMaxMs)} (its 10 ms sampling included); API CPU ${(api.cpu * 100).toFixed(0)} %, its main thread ${(api.mainThreadCpu * 100).toFixed(0)} %`;
}

function burstLine(what: string, { bursts }: Bursts): string {
  const took = spread(bursts.map((b) => b.ms));
  const thumbs = bursts.flatMap((b) => b.answers);
  const each = spread(thumbs.map((a) => a.ms));
  return `${what}: a burst of ${BURST} took ${ms(took.p50)} (p50 of ${bursts.length}; max ${ms(took.max)}), a thumbnail p50 ${ms(each.p50)}, max ${ms(each.max)}, ` +
    `${kb(spread(thumbs.map((a) => a.bytes)).mean)} each`;
}

export const previewFigures = {
  /** Lines for docs/benchmarks.md; the API's tasks stay pending (no worker runs), their pages viewable all the same. */
  async run(run: Run): Promise<string[]> {
    const { apiUrl } = run;
    const imageUrl = (id: string, page: number, width: number) => `${apiUrl}/api/tasks/${id}/pages/${page}/image?width=${width}&format=webp`;
    // Tasks first, so that no upload runs beside a measurement; the text and scanned PDFs have a
    // spare last page for the first look, which copies the file from Postgres to the API's disk.
    const textTask = await run.submit(makePdf(pageTags(TEXT_PAGES + 1), { textLines: 40 }), 'previews-text.pdf');
    const scanPdf = await makeScanPdf(pageTags(SCAN_PAGES + 1, 101));
    const scanTask = await run.submit(scanPdf, 'previews-scan.pdf');
    const thumbTasks: string[] = [];
    for (let i = 0; i < 2 * BURSTS; i++) thumbTasks.push(await run.submit(makePdf(pageTags(BURST, 1000 + i * BURST), { textLines: 40 }), `previews-thumbs-${i}.pdf`));
    const thumbUrls = (task: string) => pageTags(BURST).map((n) => imageUrl(task, n, THUMB_WIDTH));

    // A fresh agent for each part: a kept-alive connection left idle by the part before would be
    // closed by the API (after 5 s) just as it is reused.
    const agent = new http.Agent({ keepAlive: true });
    // Two at once: both render threads start and draw their first page, as any page after it is drawn.
    const firstLook = await Promise.all([WIDTH, WIDTH + 1].map((w) => get(imageUrl(textTask, TEXT_PAGES + 1, w), agent)));
    const firstScan = await get(imageUrl(scanTask, SCAN_PAGES + 1, WIDTH), agent);
    expectStatus([...firstLook, firstScan], 200, 'first look');
    const text = await pageFigures((n) => imageUrl(textTask, n, WIDTH), TEXT_PAGES, agent);
    const scan = await pageFigures((n) => imageUrl(scanTask, n, WIDTH), SCAN_PAGES, agent);
    agent.destroy();

    const taskUrl = `${apiUrl}/api/tasks/${textTask}`;
    const load = os.loadavg()[0]!.toFixed(1);
    const idle = await watched(run, () => probe(taskUrl, PROBE_EVERY_MS, sleep(BASELINE_MS)));
    const allAtOnce = (task: string) => (on: http.Agent) => Promise.all(thumbUrls(task).map((url) => get(url, on)));
    const atOnce = thumbTasks.slice(0, BURSTS);
    const cold = await probedDuring(run, taskUrl, atOnce.map(allAtOnce));
    const browser = await probedDuring(run, taskUrl, thumbTasks.slice(BURSTS).map((task) => (on: http.Agent) => inFlight(thumbUrls(task), BROWSER_CONNECTIONS, on)));
    // At the pace of the cold bursts, so that as many probes meet the start of a burst.
    const cached = await probedDuring(run, taskUrl, atOnce.map(allAtOnce), spread(cold.bursts.map((b) => b.ms)).p50);

    const all = [firstLook, [firstScan], text.cold, text.cached, text.revalidated, scan.cold, scan.cached, scan.revalidated, idle.result,
      ...[cold, browser, cached].flatMap((b) => [b.probes.result, ...b.bursts.map((x) => x.answers)])].flat();
    const fresh = `cold thumbnails (width ${THUMB_WIDTH}, the pages of a fresh ${BURST}-page task each)`;
    return [
      pageLine('text page (40 lines)', text),
      pageLine(`scanned page (300 DPI grey JPEG, ${(scanPdf.length / (SCAN_PAGES + 1) / 2 ** 20).toFixed(1)} MB)`, scan),
      `first look at a task (its file copied from Postgres to the API's disk): text ${ms(Math.max(...firstLook.map((a) => a.ms)))} (both render threads starting), ` +
        `scanned ${ms(firstScan.ms)} (${(scanPdf.length / 2 ** 20).toFixed(0)} MB)`,
      probeLine(`with nothing else asked (load average ${load})`, idle),
      probeLine(`while ${BURSTS} bursts of ${BURST} ${fresh} are asked for all at once`, cold.probes),
      probeLine(`while ${BURSTS} bursts of ${BURST} ${fresh} are asked for ${BROWSER_CONNECTIONS} at a time`, browser.probes),
      probeLine(`while the first ${BURSTS} bursts are asked for again, all at once and at the same pace, from the disk cache (nothing renders)`, cached.probes),
      burstLine('thumbnails all at once', cold),
      burstLine(`thumbnails ${BROWSER_CONNECTIONS} at a time`, browser),
      burstLine('thumbnails from the disk cache, all at once', cached) +
        `; ${all.filter((a) => a.retried).length} of ${all.length} requests sent again after the API closed their kept-alive connection`,
    ];
  },
};
