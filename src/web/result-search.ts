/**
 * Finding a text in a result. A match is counted where the viewer shows it: in the rendered text
 * outside formulas (KaTeX's glyphs and MathML would repeat a formula as odd letters), or in the raw
 * Markdown; within one text node, so that every match counted is one that can be highlighted.
 * Highlights are <mark> elements made with textContent, never HTML.
 */
const HIT_CLASS = 'search-hit';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Case-insensitive, literal (no pattern syntax). */
export const searchPattern = (query: string) => new RegExp(escapeRegExp(query), 'giu');

/** The text nodes a search looks in, in document order. */
function searchableTexts(root: Element): Text[] {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement?.closest('.katex') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
  return texts;
}

const matchesIn = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].filter((m) => m[0].length > 0);

/** How many matches an element holds (rendered or not: a detached element counts the same). */
export function countMatches(root: Element, pattern: RegExp): number {
  return searchableTexts(root).reduce((n, node) => n + matchesIn(node.data, pattern).length, 0);
}

/** Wraps every match in `root` in a <mark>; the marks, in document order. */
export function highlightMatches(root: Element, pattern: RegExp): HTMLElement[] {
  const marks: HTMLElement[] = [];
  for (const node of searchableTexts(root)) {
    const found = matchesIn(node.data, pattern);
    if (found.length === 0) continue;
    const pieces = document.createDocumentFragment();
    let at = 0;
    for (const match of found) {
      const start = match.index;
      if (start > at) pieces.append(node.data.slice(at, start));
      const mark = document.createElement('mark');
      mark.className = HIT_CLASS;
      mark.textContent = match[0];
      pieces.append(mark);
      marks.push(mark);
      at = start + match[0].length;
    }
    if (at < node.data.length) pieces.append(node.data.slice(at));
    node.replaceWith(pieces);
  }
  return marks;
}

/** Where the matches are: how many on each page, in page order, and the n-th of them overall. */
export interface SearchResults {
  total: number;
  /** Page number → matches on it (pages without any are left out). */
  perPage: Map<number, number>;
  /** The page and the index on it of the n-th match overall (0-based). */
  at(n: number): { page: number; index: number } | undefined;
  /** The overall number of the first match on `page` or after it (wrapping round), or -1 without matches. */
  firstFrom(page: number): number;
}

export function searchResults(counts: Array<[page: number, matches: number]>): SearchResults {
  const pages = counts.filter(([, n]) => n > 0);
  const total = pages.reduce((sum, [, n]) => sum + n, 0);
  return {
    total,
    perPage: new Map(pages),
    at(n) {
      let before = 0;
      for (const [page, count] of pages) {
        if (n < before + count) return { page, index: n - before };
        before += count;
      }
      return undefined;
    },
    firstFrom(page) {
      if (total === 0) return -1;
      let before = 0;
      for (const [p, count] of pages) {
        if (p >= page) return before;
        before += count;
      }
      return 0;
    },
  };
}
