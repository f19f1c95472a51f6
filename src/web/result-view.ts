/**
 * The result of one task in a modal dialog: each page's image (as the model saw it) beside its
 * rendered Markdown or the raw Markdown, a strip of page thumbnails with their status, paging with
 * the buttons, the page list or the arrow keys, search with highlighted matches, a failed page's
 * error with "retry this page", copy, and downloads through the export API. "All pages" shows the
 * whole text without images.
 */
import type { PageWithContent, TaskResult } from '../contract/index.js';
import type { Api } from './api.js';
import { h, replaceChildren, setText } from './dom.js';
import { onLangChange, t } from './i18n.js';
import { createPageStrip } from './page-strip.js';
import { createSearchBox } from './search-box.js';
import { FINAL, type TaskState, type TaskStore } from './tasks.js';

export interface ResultView { open(task: TaskState): void }

/** What the viewer shows of a page. */
type ViewPage = Pick<PageWithContent, 'page_number' | 'status' | 'content' | 'error_message' | 'warnings'>;

type Renderer = typeof import('./markdown.js');
let renderer: Promise<Renderer> | undefined;
/** markdown-it, KaTeX and DOMPurify are most of the page's code: loaded when a result is first opened. */
const loadRenderer = () => (renderer ??= import('./markdown.js').catch((err: unknown) => {
  renderer = undefined; // a failed download is tried again on the next open
  throw err;
}));

/** Copies with the Clipboard API, or the older way on pages that are not a secure context. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'visually-hidden', readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

const EXPORT_FORMATS = ['md', 'txt', 'json', 'html', 'pdf'] as const;
/** The page image: 1000 px (the size the server's cache and benchmarks are made for), 2000 on dense screens. */
const IMAGE_WIDTHS = [1000, 2000] as const;

const isTyping = (target: EventTarget | null) => target instanceof HTMLElement && !!target.closest('input, textarea, select, [contenteditable]');

export function createResultView(api: Api, store: TaskStore): ResultView {
  const title = h('h2', { id: 'result-title', class: 'result-title' });
  const close = h('button', { type: 'button', class: 'btn btn-icon act-close', text: '×' });
  const rendered = h('button', { type: 'button', class: 'btn toggle act-rendered' });
  const raw = h('button', { type: 'button', class: 'btn toggle act-raw' });
  const viewGroup = h('div', { class: 'segmented', role: 'group' }, rendered, raw);
  const prev = h('button', { type: 'button', class: 'btn btn-icon act-prev', text: '‹', 'aria-keyshortcuts': 'ArrowLeft' });
  const next = h('button', { type: 'button', class: 'btn btn-icon act-next', text: '›', 'aria-keyshortcuts': 'ArrowRight' });
  const select = h('select', { class: 'page-select' });
  const selectLabel = h('span', { class: 'visually-hidden' });
  const pager = h('div', { class: 'pager' }, prev, h('label', {}, selectLabel, select), next);
  const search = createSearchBox({
    pageNumbers: () => (page === 0 ? [0] : pages().filter((p) => p.status !== 'failed').map((p) => p.page_number)),
    renderedPage: (n) => (mode === 'raw' ? undefined : renderedPage(n)),
    markdownOf: (n) => markdownOf(n),
    shownPage: () => page,
    showPage: (n) => showPage(n, { keepHit: true }),
    shownText: () => body.querySelector('.markdown-body, .raw-markdown'),
  });
  const copy = h('button', { type: 'button', class: 'btn act-copy' });
  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const downloadLabel = h('span', { class: 'download-label' });
  const links = EXPORT_FORMATS.map((format) =>
    h('a', { class: `btn download download-${format}`, download: '', text: format.toUpperCase() }));
  const notice = h('p', { class: 'result-notice' });
  const strip = createPageStrip(api, (n) => showPage(n));
  const image = h('img', { class: 'page-image', alt: '', decoding: 'async' });
  const imageNote = h('p', { class: 'muted page-image-note' });
  const figure = h('figure', { class: 'page-figure' }, image, imageNote);
  const body = h('div', { class: 'result-body', tabindex: 0 });
  const layout = h('div', { class: 'result-layout' }, strip.el, figure, body);
  const dialog = h('dialog', { class: 'result', 'aria-labelledby': 'result-title' },
    h('header', { class: 'result-head' }, title, close),
    h('div', { class: 'result-tools' }, viewGroup, pager, search.el, h('div', { class: 'result-actions' }, copy, copyStatus),
      h('div', { class: 'downloads' }, downloadLabel, ...links)),
    notice, layout);
  document.body.append(dialog);

  let task: TaskState | undefined;
  let result: TaskResult | undefined;
  let markdown: Renderer | undefined;
  let error = '';
  let mode: 'rendered' | 'raw' = 'rendered';
  /** The page shown; 0 = all pages (text only). */
  let page = 0;
  /** Pages asked to be read again whose new result has not arrived; why a retry was refused. */
  const retrying = new Set<number>();
  let retryError = '';
  let stopWatching: (() => void) | undefined;

  /** Rendered pages outside the document, for counting search matches: page number → element. */
  let detached = new Map<number, HTMLElement>();

  /**
   * Each page with its result. A one-page image has no page list of its own (the server lists
   * pages for PDFs and multi-page TIFFs): it is page 1 with the task's content.
   */
  const pages = (): ViewPage[] => {
    if (!result) return [];
    if (result.page_results.length > 0) return result.page_results;
    return [{ page_number: 1, status: 'completed', content: result.content, error_message: null, warnings: [] }];
  };
  const paged = () => (result?.page_results.length ?? 0) > 0;
  const pageOf = (n: number) => pages().find((p) => p.page_number === n);
  const failedPages = () => pages().filter((p) => p.status === 'failed');
  const markdownOf = (n: number) => (n === 0 ? result?.content ?? '' : pageOf(n)?.content ?? '');
  const taskFinished = () => task !== undefined && FINAL.has(store.get(task.id)?.status ?? task.status);

  function renderFigure() {
    figure.hidden = page === 0;
    if (page === 0 || !task) return;
    const src = (width: number) => api.pageImageUrl(task!.id, page, width);
    const wanted = src(IMAGE_WIDTHS[0]);
    if (image.getAttribute('src') !== wanted) {
      image.classList.remove('is-broken');
      image.setAttribute('srcset', IMAGE_WIDTHS.map((w) => `${src(w)} ${w}w`).join(', '));
      image.setAttribute('sizes', '(max-width: 760px) 100vw, 45vw');
      image.setAttribute('src', wanted);
    }
    image.alt = t('result.pageImage', { n: page });
    setText(imageNote, image.classList.contains('is-broken') ? t('result.imageUnavailable') : '');
    imageNote.hidden = !image.classList.contains('is-broken');
  }

  /** The button under a page that reads it again (a failed page's way out; any page may be read again). */
  function retryControls(n: number): HTMLElement[] {
    if (!taskFinished() && !retrying.has(n)) return [];
    if (retrying.has(n)) return [h('p', { class: 'muted page-retrying', role: 'status', text: t('result.retrying', { n }) })];
    const failed = pageOf(n)?.status === 'failed';
    const button = h('button', { type: 'button', class: `btn act-retry-page${failed ? ' btn-primary' : ''}`, text: t(failed ? 'result.retryPage' : 'result.readAgain') });
    button.addEventListener('click', () => retryPage(n));
    return [h('div', { class: 'page-retry' }, button, retryError ? h('span', { class: 'page-retry-error', role: 'alert', text: retryError }) : null)];
  }

  function renderBody() {
    body.className = 'result-body';
    if (error) {
      body.classList.add('is-error');
      return replaceChildren(body, error);
    }
    if (!result || !markdown) return replaceChildren(body, t('result.loading'));
    const current = page === 0 ? undefined : pageOf(page);
    if (current?.status === 'failed' && !retrying.has(page)) {
      return replaceChildren(body, h('p', { class: 'page-error', text: t('result.pageError', { n: page, error: current.error_message ?? '' }) }), ...retryControls(page));
    }
    const source = markdownOf(page);
    // What the service did to this page's reply (its own text is never changed), under the page.
    const done = current?.warnings.length
      ? [h('p', { class: 'muted page-warnings', text: t('result.warnings', { list: current.warnings.map((w) => t(`warning.${w}`)).join('; ') }) })]
      : [];
    const after = page === 0 ? [] : retryControls(page);
    if (!source.trim()) return replaceChildren(body, h('p', { class: 'muted', text: t('result.empty') }), ...done, ...after);
    if (mode === 'raw') return replaceChildren(body, h('pre', { class: 'raw-markdown', text: source }), ...done, ...after);
    const article = h('div', { class: 'markdown-body' });
    markdown.renderMarkdownInto(article, source);
    replaceChildren(body, article, ...done, ...after);
  }

  function renderTools() {
    setText(title, `${t('result.title')}: ${task?.fileName ?? ''}`);
    close.setAttribute('aria-label', t('result.close'));
    setText(rendered, t('result.rendered'));
    setText(raw, t('result.raw'));
    viewGroup.setAttribute('aria-label', t('result.view'));
    rendered.setAttribute('aria-pressed', String(mode === 'rendered'));
    raw.setAttribute('aria-pressed', String(mode === 'raw'));
    setText(copy, t('result.copy'));
    setText(downloadLabel, `${t('result.download')}:`);
    setText(selectLabel, t('result.pageSelect'));
    search.relabel();
    prev.setAttribute('aria-label', t('result.prevPage'));
    next.setAttribute('aria-label', t('result.nextPage'));
    const list = paged() ? pages() : [];
    pager.hidden = list.length === 0;
    replaceChildren(select,
      h('option', { value: '0', text: t('result.allPages') }),
      ...list.map((p) => h('option', {
        value: String(p.page_number),
        class: p.status === 'failed' ? 'failed' : '',
        text: p.status === 'failed' ? `✗ ${t('result.pageFailed', { n: p.page_number })}` : t('result.page', { n: p.page_number }),
      })));
    select.value = String(page);
    const index = list.findIndex((p) => p.page_number === page);
    prev.disabled = page === 0;
    next.disabled = list.length === 0 || index === list.length - 1;
    const failed = failedPages();
    setText(notice, failed.length ? t('result.failedPages', { pages: failed.map((p) => p.page_number).join(', ') }) : '');
    notice.hidden = failed.length === 0 || !paged();
    for (const [i, format] of EXPORT_FORMATS.entries()) {
      links[i]!.href = task ? api.url(`/api/tasks/${encodeURIComponent(task.id)}/export?format=${format}`) : '#';
    }
  }

  function renderLayout() {
    const multi = paged() && pages().length > 1;
    strip.el.hidden = !multi;
    layout.className = `result-layout${multi ? ' with-strip' : ''}${page === 0 ? ' text-only' : ''}`;
    strip.select(page);
  }

  const render = () => {
    renderTools();
    renderLayout();
    renderFigure();
    renderBody();
    search.mark();
  };

  function showPage(n: number, opts: { keepHit?: boolean } = {}) {
    const list = pages();
    page = n === 0 && paged() ? 0 : list.some((p) => p.page_number === n) ? n : list[0]?.page_number ?? 1;
    // Paging by hand moves the current match to the first on the page shown.
    if (!opts.keepHit) search.pageShown(page);
    render();
    body.scrollTop = 0;
    figure.scrollTop = 0;
  }

  /** The page before or after the shown one; from "all pages", the first. */
  function step(delta: -1 | 1) {
    const list = pages();
    if (page === 0) return delta > 0 && list[0] ? showPage(list[0].page_number) : undefined;
    const index = list.findIndex((p) => p.page_number === page);
    const target = list[index + delta];
    if (target) showPage(target.page_number);
    else if (delta < 0 && paged()) showPage(0);
  }

  /** A page rendered outside the document, kept for the next search. */
  function renderedPage(n: number): HTMLElement {
    let el = detached.get(n);
    if (!el) {
      el = markdown!.renderDetached(markdownOf(n));
      detached.set(n, el);
    }
    return el;
  }

  // ---- page retry ----

  function retryPage(n: number) {
    if (!task) return;
    const id = task.id;
    retryError = '';
    api.retryPage(id, n).then(() => {
      retrying.add(n);
      // The card follows the task's new run (and the page subscribes to its events) as for a retry.
      store.patch(id, { status: 'pending', error: null, rate: null, eta: null });
      render();
    }, (err: unknown) => {
      retryError = err instanceof Error ? err.message : String(err);
      render();
    });
  }

  /** When the run that reads pages again has ended, the result is fetched anew (the page shown stays). */
  function watch(id: string) {
    stopWatching?.();
    stopWatching = store.onChange(id, (state) => {
      if (retrying.size === 0 || !FINAL.has(state.status) || task?.id !== id) return;
      if (state.status === 'deleted') return dialog.close();
      retrying.clear();
      void load(id, page);
    });
  }

  async function load(id: string, keepPage: number | undefined) {
    try {
      const [answer, loaded] = await Promise.all([api.getResult(id), loadRenderer()]);
      if (task?.id !== id) return;
      result = answer;
      markdown = loaded;
      detached = new Map();
      strip.show(id, paged() ? pages() : []);
      // A PDF opens on its first page, beside its image; "all pages" is one choice away.
      showPage(keepPage ?? pages()[0]?.page_number ?? 1);
      search.rerun();
    } catch (err) {
      if (task?.id !== id) return;
      error = t('result.loadFailed', { detail: err instanceof Error ? err.message : String(err) });
      render();
    }
  }

  close.addEventListener('click', () => dialog.close());
  rendered.addEventListener('click', () => { mode = 'rendered'; render(); search.rerun(); });
  raw.addEventListener('click', () => { mode = 'raw'; render(); search.rerun(); });
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  select.addEventListener('change', () => {
    const wasAll = page === 0;
    showPage(Number(select.value));
    // The matches of "all pages" are counted in one text, those of single pages page by page.
    if (wasAll || page === 0) search.rerun();
  });
  image.addEventListener('error', () => {
    image.classList.add('is-broken');
    renderFigure();
  });
  copy.addEventListener('click', () => {
    void copyText(markdownOf(page)).then((ok) => {
      setText(copyStatus, t(ok ? 'result.copied' : 'result.copyFailed'));
      window.setTimeout(() => setText(copyStatus, ''), 2500);
    });
  });
  // ← and → page through the result, unless a field has the keys.
  dialog.addEventListener('keydown', (event) => {
    if (isTyping(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault();
      step(event.key === 'ArrowLeft' ? -1 : 1);
    }
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    stopWatching?.();
    stopWatching = undefined;
  });
  onLangChange(() => {
    if (!dialog.open) return;
    strip.relabel();
    render();
  });

  return {
    open(opened) {
      task = opened;
      result = undefined;
      markdown = undefined;
      error = '';
      mode = 'rendered';
      page = 0;
      retrying.clear();
      retryError = '';
      search.reset();
      image.removeAttribute('src');
      image.removeAttribute('srcset');
      strip.show(opened.id, []);
      setText(copyStatus, '');
      render();
      if (!dialog.open) dialog.showModal();
      watch(opened.id);
      void load(opened.id, undefined);
    },
  };
}
