/**
 * The mix of the mixed scenario, planned before the load starts: what is submitted when, the files
 * made for it, and the faults of the model stub, all drawn from seeded generators.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { taggedImage } from '../../test/helpers/images.js';
import type { StubAction, StubCall } from '../../test/helpers/model-stub.js';
import { makePdf, pageTags } from '../../test/helpers/pdfs.js';

/** The mix. Ranges are drawn uniformly from a seeded generator: every run submits the same. */
export const MIX = {
  imageGapS: [1.5, 4.5], // a one-page image every 3 s on average
  pdfGapS: [10, 30], // a PDF of 5–50 pages every 20 s on average
  pdfPages: [5, 50],
  // The occasional 300-page PDF: after the RSS warm-up window, then every 5 minutes.
  bigPages: 300, bigFirstS: 90, bigEveryS: 300,
  batchFirstS: 30, batchEveryS: 60, batchImages: 4, batchPdfPages: [5, 10],
  // Every 8th PDF is cancelled 3–15 s after its submit, every 20th image at once (racing its run).
  cancelEveryPdf: 8, cancelAfterS: [3, 15], cancelEveryImage: 20,
  // Every 5th multi-page task that completes has one page read again; a partial or failed task is retried twice at most.
  pageRetryEvery: 5, taskRetries: 2,
} as const;

/**
 * 5 % of model calls fail, as a busy provider's do. 500 and 429 are retried within the page; the
 * 400 fails the page for good, so its task ends partial (or failed) and the load generator retries it.
 */
const FAULTS: ReadonlyArray<{ share: number; name: string; action: StubAction }> = [
  { share: 0.02, name: '500', action: { kind: 'status', status: 500 } },
  { share: 0.02, name: '429', action: { kind: 'status', status: 429, retryAfter: '1' } },
  { share: 0.01, name: '400', action: { kind: 'status', status: 400, message: 'the image could not be processed' } },
];

export type Kind = 'image' | 'pdf' | 'big' | 'batch';
export interface FileSpec { path: string; name: string; pages: number; image: boolean }
export interface Job { atMs: number; kind: Kind; files: FileSpec[]; watch: 'ws' | 'poll'; cancelAfterMs?: number }

/** A task the load generator submitted, and what it saw of it. */
export interface Task {
  id: string; kind: Kind; pages: number; watch: 'ws' | 'poll'; submittedAt: number;
  resultAt?: number; firstStatus?: string; status?: string;
  cancelled: boolean; retries: number; pageRetry?: number;
}

export interface Faults { actionFor: (call: StubCall) => StubAction | undefined; counts: Map<string, number> }

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stub's faults, drawn per call from a seeded generator; counted by kind. */
export function createFaults(): Faults {
  const rand = seeded(1803);
  const counts = new Map<string, number>(FAULTS.map((f) => [f.name, 0]));
  return {
    counts,
    actionFor: () => {
      let r = rand();
      const fault = FAULTS.find((f) => (r -= f.share) < 0);
      if (fault) counts.set(fault.name, counts.get(fault.name)! + 1);
      return fault?.action;
    },
  };
}

/** The whole load, planned before it starts. */
export function planLoad(durationMs: number, dir: string, rand: () => number): Job[] {
  const between = ([lo, hi]: readonly [number, number]) => lo + rand() * (hi - lo);
  const file = (name: string, pages: number, image: boolean): FileSpec => ({ path: path.join(dir, name), name, pages, image });
  const jobs: Job[] = [];
  let n = 0;
  for (let t = between(MIX.imageGapS) * 1000; t < durationMs; t += between(MIX.imageGapS) * 1000) {
    n++;
    jobs.push({ atMs: t, kind: 'image', files: [file(`photo-${n}.png`, 1, true)], watch: 'ws', ...(n % MIX.cancelEveryImage === 0 ? { cancelAfterMs: 0 } : {}) });
  }
  n = 0;
  for (let t = between(MIX.pdfGapS) * 1000; t < durationMs; t += between(MIX.pdfGapS) * 1000) {
    n++;
    const cancel = n % MIX.cancelEveryPdf === 0 ? { cancelAfterMs: between(MIX.cancelAfterS) * 1000 } : {};
    jobs.push({ atMs: t, kind: 'pdf', files: [file(`report-${n}.pdf`, Math.round(between(MIX.pdfPages)), false)], watch: n % 2 ? 'ws' : 'poll', ...cancel });
  }
  n = 0;
  for (let t = Math.min(MIX.bigFirstS * 1000, durationMs / 2); t < durationMs; t += MIX.bigEveryS * 1000) {
    // Polled and watched in turn: the pollers' figures then include the heaviest task's answer.
    jobs.push({ atMs: t, kind: 'big', files: [file(`archive-${++n}.pdf`, MIX.bigPages, false)], watch: n % 2 ? 'poll' : 'ws' });
  }
  n = 0;
  for (let t = Math.min(MIX.batchFirstS * 1000, durationMs / 4); t < durationMs; t += MIX.batchEveryS * 1000) {
    n++;
    const images = Array.from({ length: MIX.batchImages }, (_, i) => file(`batch-${n}-scan-${i + 1}.png`, 1, true));
    jobs.push({ atMs: t, kind: 'batch', files: [...images, file(`batch-${n}-form.pdf`, Math.round(between(MIX.batchPdfPages)), false)], watch: 'poll' });
  }
  return jobs.sort((a, b) => a.atMs - b.atMs);
}

/**
 * A copy of a PNG with a tEXt chunk after its header: a file of its own (stored anew, as each upload
 * of a real day is) without encoding the image again.
 */
function distinctPng(png: Buffer, n: number): Buffer {
  const body = Buffer.from(`tEXtComment\0bench upload ${n}`, 'latin1');
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(zlib.crc32(body), body.length + 4);
  const headerEnd = 8 + 25; // the signature, then IHDR: length, type, 13 bytes, CRC
  return Buffer.concat([png.subarray(0, headerEnd), chunk, png.subarray(headerEnd)]);
}

/** Writes every file of the load before it starts, each distinct: the generator then only sends. */
export async function makeFiles(jobs: Job[], textLines: number): Promise<void> {
  const page = await taggedImage(4242, 'png', 1654, 2339); // an A4 page at 200 DPI, as the fairness line sends
  let n = 0;
  let tag = 1;
  for (const f of jobs.flatMap((j) => j.files)) {
    if (f.image) {
      await writeFile(f.path, distinctPng(page, ++n));
      continue;
    }
    await writeFile(f.path, makePdf(pageTags(f.pages, tag), { textLines }));
    tag = ((tag + f.pages) % 60_000) + 1; // tags are 16 bits
  }
}
