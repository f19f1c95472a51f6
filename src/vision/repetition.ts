/**
 * Degenerate repetition: a model that loops writes the same unit (a word, a LaTeX fragment, a line)
 * again and again until its output limit. This finds such a loop at the end of a text, looking at the
 * tail only, so it can run on every streamed chunk and the call can be stopped at once.
 *
 * A loop is the longest suffix that repeats with some period p (text[i] === text[i - p]); it counts
 * when it covers at least MIN_LOOP_CHARS characters and at least MIN_LOOP_REPEATS whole units.
 * Only exact repeats count, so near-misses pass: table rows that differ in a cell, a numbered list
 * (1. 2. 3.), dot leaders in a table of contents (each run ends at its title and page number).
 * The thresholds are generous on purpose: a loop that goes on to an 8192-token limit writes some
 * 25,000 characters, so stopping it after 1,000 saves nearly all of the time and tokens, while a
 * real page almost never holds 1,000 characters of one exact unit (test/unit/repetition.test.ts).
 */

/** Characters the repeated suffix must cover. */
export const MIN_LOOP_CHARS = 1000;
/** Whole units it must hold: a 400-character paragraph must come back 10 times, not 2.5. */
export const MIN_LOOP_REPEATS = 10;
/** Longest unit looked for: a wide table row or a short paragraph. */
export const MAX_LOOP_PERIOD = 400;

export interface Repetition {
  /** The repeated unit (the last `period` characters). */
  unit: string;
  /** How many times it repeats at the end (whole units). */
  repeats: number;
}

/** The loop at the end of `text`, or undefined. Cost: about MAX_LOOP_PERIOD comparisons on normal text. */
export function findRepetition(text: string): Repetition | undefined {
  const n = text.length;
  if (n < MIN_LOOP_CHARS) return undefined;
  for (let period = 1; period <= MAX_LOOP_PERIOD && period * 2 <= n; period++) {
    const need = Math.max(MIN_LOOP_CHARS, period * MIN_LOOP_REPEATS);
    if (need > n) break;
    // The suffix of length `need` repeats with this period when each of its characters after the
    // first unit equals the one a unit earlier; compare from the end, where a mismatch shows first.
    let first = n - 1;
    const stop = n - need + period;
    while (first >= stop && text.charCodeAt(first) === text.charCodeAt(first - period)) first--;
    if (first < stop) {
      // It does: see how far back the loop goes, to report its length.
      first = stop;
      while (first - 1 - period >= 0 && text.charCodeAt(first - 1) === text.charCodeAt(first - 1 - period)) first--;
      return { unit: text.slice(n - period), repeats: Math.floor((n - first + period) / period) };
    }
  }
  return undefined;
}

export interface RepetitionDetector {
  /** Adds streamed text; returns the loop once the text ends in one. */
  push(chunk: string): Repetition | undefined;
  readonly text: string;
}

/** Checks every few characters rather than on every token: a loop is found at most CHECK_EVERY characters late. */
const CHECK_EVERY = 32;

export function createRepetitionDetector(): RepetitionDetector {
  let text = '';
  let checkedAt = 0;
  return {
    push(chunk) {
      text += chunk;
      if (text.length - checkedAt < CHECK_EVERY) return undefined;
      checkedAt = text.length;
      return findRepetition(text);
    },
    get text() {
      return text;
    },
  };
}

/**
 * Tokens of a text that the server never counted (a call stopped before its usage arrived): about
 * 4 characters a token for Latin script and markup, one a character for CJK, as common tokenizers do.
 */
export function estimateTokens(text: string): number {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/g)?.length ?? 0;
  return cjk + Math.ceil((text.length - cjk) / 4);
}
