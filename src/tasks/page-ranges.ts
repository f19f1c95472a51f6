/**
 * The `pages` option: 1-based page ranges such as "1-3,5,10-12" (Azure Document Intelligence's
 * syntax). Overlaps and repeats are merged; an open range ("3-"), a reversed one ("5-3") or page 0
 * is refused. Pure, so the workflow's starter, the worker and the views agree on a task's pages.
 */

const RANGE = /^(\d+)(?:-(\d+))?$/;
/** Enough for any document the service takes (MAX_PDF_PAGES is at most 10,000). */
const MAX_PAGE = 100_000;

/** The pages named, ascending and without repeats; throws an Error saying what is wrong. */
export function parsePageRanges(spec: string): number[] {
  const pages = new Set<number>();
  const parts = spec.split(',').map((part) => part.trim());
  for (const part of parts) {
    const match = RANGE.exec(part.replace(/\s+/g, ''));
    if (!match) throw new Error(`expected page ranges such as 1-3,5,10-12 ("${part}" is not one)`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1) throw new Error('expected pages from 1');
    if (last < first) throw new Error(`expected ranges from low to high ("${part}")`);
    if (last > MAX_PAGE) throw new Error(`expected pages up to ${MAX_PAGE}`);
    for (let p = first; p <= last; p++) pages.add(p);
  }
  return [...pages].sort((a, b) => a - b);
}

/** The shortest spelling of the pages: [1, 2, 3, 5] is "1-3,5". */
export function formatPageRanges(pages: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < pages.length; ) {
    let j = i;
    while (j + 1 < pages.length && pages[j + 1] === pages[j]! + 1) j++;
    ranges.push(i === j ? `${pages[i]}` : `${pages[i]}-${pages[j]}`);
    i = j + 1;
  }
  return ranges.join(',');
}

/** A task's pages: those its `pages` option names, or all of them. */
export function taskPageNumbers(task: { total_pages: number; options: { pages?: string } }): number[] {
  return task.options.pages ? parsePageRanges(task.options.pages) : Array.from({ length: task.total_pages }, (_, i) => i + 1);
}
