/**
 * The exports scenario of `npm run bench`: the searchable PDF of a finished task
 * (GET /api/tasks/{id}/export?format=pdf), made on demand by the API's export thread and then
 * served from its disk cache: how long the first and a cached export take, how large the update is
 * beside the original, and what the API process holds meanwhile (its peak RSS is reset just
 * before, so the figure is the export's, not the upload's).
 */
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

interface Run {
  /** http://host:port/{password} */
  apiUrl: string;
  apiPid: number;
  taskId: string;
  /** Bytes of the uploaded PDF. */
  originalBytes: number;
}

interface Download { status: number; firstByteMs: number; ms: number; bytes: number; error?: string }

function download(url: string): Promise<Download> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const firstByteMs = performance.now() - started;
      let bytes = 0;
      let error = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (res.statusCode !== 200) error += chunk.toString();
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, firstByteMs, ms: performance.now() - started, bytes, error }));
    }).on('error', reject);
  });
}

const rssMb = async (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

/** Resets the process's peak RSS to its current RSS (Linux: clear_refs, "5"). */
const resetPeak = (pid: number) => writeFile(`/proc/${pid}/clear_refs`, '5');

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export const exportFigures = {
  async run({ apiUrl, apiPid, taskId, originalBytes }: Run): Promise<string> {
    const url = `${apiUrl}/api/tasks/${taskId}/export?format=pdf`;
    const before = await rssMb(apiPid, 'VmRSS');
    await resetPeak(apiPid);
    const first = await download(url);
    const peak = await rssMb(apiPid, 'VmHWM');
    const cached = await download(url);
    const after = await rssMb(apiPid, 'VmRSS');
    // The export thread goes 5 s after its last job, and its WebAssembly memory with it.
    await sleep(8000);
    const settled = await rssMb(apiPid, 'VmRSS');
    for (const answer of [first, cached]) if (answer.status !== 200) throw new Error(`export answered ${answer.status}: ${answer.error}`);
    return `made ${s(first.ms)} (first byte after ${s(first.firstByteMs)}), from the disk cache ${s(cached.ms)} (first byte ${s(cached.firstByteMs)}); ` +
      `${mb(first.bytes)} = the original ${mb(originalBytes)} + a ${mb(first.bytes - originalBytes)} update; ` +
      `API RSS ${before} MB before, peak ${peak} MB while making it (export thread included), ${after} MB just after, ${settled} MB once the thread has gone`;
  },
};
