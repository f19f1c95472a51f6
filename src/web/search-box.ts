/**
 * The result viewer's search: a field, the count ("3 of 12"), previous and next. It counts the
 * matches on every page the viewer can show (a chunk of pages per turn of the event loop, a newer
 * search stopping an older one), asks the viewer to show the page of the current match, and marks
 * the matches of the page shown (result-search.ts does the finding and marking).
 */
import { h, setText } from './dom.js';
import { t } from './i18n.js';
import { countMatches, highlightMatches, searchPattern, searchResults, type SearchResults } from './result-search.js';

/** Pages counted between two turns of the event loop (rendering a page of math takes a few ms). */
const SEARCH_CHUNK = 20;
const SEARCH_DELAY_MS = 150;

/** What the search needs of the viewer. */
export interface SearchHost {
  /** The pages to search, in order ([0] for "all pages", one text). */
  pageNumbers(): number[];
  /** The rendered page (outside the document), or undefined to search its raw Markdown. */
  renderedPage(n: number): Element | undefined;
  markdownOf(n: number): string;
  /** The page shown (0: all pages). */
  shownPage(): number;
  /** Shows a page (the current match's), keeping the current match. */
  showPage(n: number): void;
  /** The shown page's text, where matches are marked. */
  shownText(): Element | null;
}

export interface SearchBox {
  el: HTMLElement;
  /** Empties the field and forgets the matches (a result opened). */
  reset(): void;
  /** Counts again (the result, or how it is shown, changed); nothing without a query. */
  rerun(): void;
  /** Paging by hand: the current match becomes the first on the page shown. */
  pageShown(page: number): void;
  /** Marks the matches on the page just drawn, the current one apart. */
  mark(): void;
  relabel(): void;
}

export function createSearchBox(host: SearchHost): SearchBox {
  const input = h('input', { type: 'search', class: 'search-input', autocomplete: 'off', spellcheck: false });
  const label = h('span', { class: 'visually-hidden' });
  const count = h('span', { class: 'search-count', role: 'status' });
  const prev = h('button', { type: 'button', class: 'btn btn-icon act-prev-hit', text: '↑', 'aria-keyshortcuts': 'Shift+Enter' });
  const next = h('button', { type: 'button', class: 'btn btn-icon act-next-hit', text: '↓', 'aria-keyshortcuts': 'Enter' });
  const el = h('div', { class: 'search', role: 'search' }, h('label', {}, label, input), count, prev, next);

  let query = '';
  let hits: SearchResults | undefined;
  /** The current match, overall (0-based); -1: none. */
  let hit = -1;
  let run = 0;
  let timer: number | undefined;

  function renderCount() {
    prev.disabled = next.disabled = !hits || hits.total === 0;
    if (!query) return setText(count, '');
    if (!hits) return setText(count, t('result.searching'));
    setText(count, hits.total === 0 ? t('result.noMatches') : t('result.matches', { n: hit + 1, total: hits.total }));
  }

  function countOn(n: number, pattern: RegExp): number {
    const rendered = host.renderedPage(n);
    return rendered ? countMatches(rendered, pattern) : [...host.markdownOf(n).matchAll(pattern)].length;
  }

  /** Shows the current match's page (the page shown is drawn again, so that the marks move) and scrolls it into view. */
  function goToHit() {
    host.showPage(hits?.at(hit)?.page ?? host.shownPage());
    renderCount();
    host.shownText()?.querySelector('mark.search-hit.current')?.scrollIntoView({ block: 'center' });
  }

  async function search() {
    const mine = ++run;
    hits = undefined;
    hit = -1;
    // Marks of an earlier query go with the text drawn again.
    if (!query) {
      renderCount();
      host.showPage(host.shownPage());
      return;
    }
    renderCount();
    const pattern = searchPattern(query);
    const numbers = host.pageNumbers();
    const counts: Array<[number, number]> = [];
    for (let i = 0; i < numbers.length; i++) {
      if (i > 0 && i % SEARCH_CHUNK === 0) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (mine !== run) return;
      }
      counts.push([numbers[i]!, countOn(numbers[i]!, pattern)]);
    }
    hits = searchResults(counts);
    hit = hits.firstFrom(host.shownPage());
    goToHit();
  }

  function step(delta: -1 | 1) {
    if (!hits || hits.total === 0) return;
    hit = (hit + delta + hits.total) % hits.total;
    goToHit();
  }

  input.addEventListener('input', () => {
    const value = input.value.trim();
    if (value === query) return;
    query = value;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void search(), SEARCH_DELAY_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    // Enter before the delay is over searches at once.
    if (input.value.trim() !== query || !hits) {
      window.clearTimeout(timer);
      query = input.value.trim();
      void search();
      return;
    }
    step(event.shiftKey ? -1 : 1);
  });
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));

  function mark() {
    const root = host.shownText();
    if (!query || !hits || hits.total === 0 || !root) return;
    const marks = highlightMatches(root, searchPattern(query));
    const current = hits.at(hit);
    if (current?.page === host.shownPage()) marks[current.index]?.classList.add('current');
  }

  function relabel() {
    setText(label, t('result.search'));
    input.placeholder = t('result.search');
    prev.setAttribute('aria-label', t('result.prevHit'));
    next.setAttribute('aria-label', t('result.nextHit'));
    renderCount();
  }

  return {
    el,
    reset() {
      window.clearTimeout(timer);
      run++;
      query = '';
      hits = undefined;
      hit = -1;
      input.value = '';
      renderCount();
    },
    rerun() {
      if (query) void search();
    },
    pageShown(page) {
      if (hits && hits.total > 0) hit = page === 0 ? 0 : hits.firstFrom(page);
      renderCount();
    },
    mark,
    relabel,
  };
}
