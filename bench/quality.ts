/**
 * The `quality` scenario's model and figures: a model that answers a page of realistic length,
 * streamed at a steady pace, and falls into a repetition loop at temperature 0 on every tenth page
 * (as real models do on dense tables and formulas), then what the loop pages cost against good ones.
 */
import type { StubAction, StubCall } from '../test/helpers/model-stub.js';

/**
 * What the model answers for every page: a heading and 40 different lines of prose with some math,
 * about 3,000 characters (750 tokens), the size of the bench's dense A4 pages.
 */
export function pageAnswer(): string {
  const words = ['measure', 'boundary', 'integral', 'sequence', 'operator', 'kernel', 'spectrum', 'lattice', 'vector', 'domain'];
  const lines = Array.from({ length: 40 }, (_, i) =>
    `Line ${i + 1}: the ${words[i % 10]} of order ${i + 2} meets the ${words[(i * 7 + 3) % 10]} at $x_{${i}} = ${i * 3 + 1}/${i + 7}$ for every case.`);
  return `# Section\n\n${lines.join('\n')}`;
}

/** The loop on every `every`-th page the model sees (by image), at temperature 0 only. */
export function loopingEvery(every: number): { actionFor: (call: StubCall) => StubAction | undefined; loopPages: Set<string> } {
  const seen = new Set<string>();
  const loopPages = new Set<string>();
  return {
    loopPages,
    actionFor(call) {
      if (!seen.has(call.imageSha1)) {
        seen.add(call.imageSha1);
        if (seen.size % every === 0) loopPages.add(call.imageSha1);
      }
      return loopPages.has(call.imageSha1) ? { kind: 'loop' } : undefined;
    },
  };
}

export interface QualityFigures {
  loopPages: number;
  /** Most calls any loop page took, and the mean over loop pages and over good pages. */
  maxLoopCalls: number;
  loopCallsMean: number;
  goodCallsMean: number;
  /** Characters the model generated for a loop page (all its calls, the stopped one included) over a good page's. */
  loopOutputRatio: number;
  /** The stopped calls: characters streamed before the client hung up, and seconds from the first token. */
  abortedChars: { min: number; max: number };
  abortedAfterS: number;
  /** Good pages' call duration (request to answer), mean and max: the stub's latency plus its streaming. */
  goodCallS: { mean: number; max: number };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** The figures of one run from the stub's record of its calls. */
export function qualityFigures(calls: StubCall[], loopPages: Set<string>, latencyMs: number): QualityFigures {
  const byPage = new Map<string, StubCall[]>();
  for (const call of calls) byPage.set(call.imageSha1, [...(byPage.get(call.imageSha1) ?? []), call]);
  const loops = [...byPage].filter(([sha]) => loopPages.has(sha)).map(([, c]) => c);
  const goods = [...byPage].filter(([sha]) => !loopPages.has(sha)).map(([, c]) => c);
  const output = (pageCalls: StubCall[]) => pageCalls.reduce((sum, c) => sum + c.sentChars, 0);
  const aborted = calls.filter((c) => c.abandoned);
  const goodDurations = goods.flat().map((c) => (c.closedAt! - c.receivedAt) / 1000);
  return {
    loopPages: loops.length,
    maxLoopCalls: Math.max(...loops.map((c) => c.length)),
    loopCallsMean: mean(loops.map((c) => c.length)),
    goodCallsMean: mean(goods.map((c) => c.length)),
    loopOutputRatio: mean(loops.map(output)) / mean(goods.map(output)),
    abortedChars: { min: Math.min(...aborted.map((c) => c.sentChars)), max: Math.max(...aborted.map((c) => c.sentChars)) },
    abortedAfterS: mean(aborted.map((c) => (c.closedAt! - c.receivedAt - latencyMs) / 1000)),
    goodCallS: { mean: mean(goodDurations), max: Math.max(...goodDurations) },
  };
}
