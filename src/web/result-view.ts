/**
 * The result of one task in a modal dialog: rendered Markdown with math or the raw Markdown,
 * page by page for PDFs (failed pages marked, with their error), copy, and downloads through the
 * export API.
 */
import type { PageWithContent, TaskResult } from '../contract/index.js';
import type { Api } from './api.js';
import { h, replaceChildren, setText } from './dom.js';
import { onLangChange, t } from './i18n.js';
import type { TaskState } from './tasks.js';

export interface ResultView { open(task: TaskState): void }

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

export function createResultView(api: Api): ResultView {
  const title = h('h2', { id: 'result-title', class: 'result-title' });
  const close = h('button', { type: 'button', class: 'btn btn-icon act-close', text: '×' });
  const rendered = h('button', { type: 'button', class: 'btn toggle act-rendered' });
  const raw = h('button', { type: 'button', class: 'btn toggle act-raw' });
  const viewGroup = h('div', { class: 'segmented', role: 'group' }, rendered, raw);
  const prev = h('button', { type: 'button', class: 'btn btn-icon act-prev', text: '‹' });
  const next = h('button', { type: 'button', class: 'btn btn-icon act-next', text: '›' });
  const select = h('select', { class: 'page-select' });
  const selectLabel = h('span', { class: 'visually-hidden' });
  const pager = h('div', { class: 'pager' }, prev, h('label', {}, selectLabel, select), next);
  const copy = h('button', { type: 'button', class: 'btn act-copy' });
  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const downloadLabel = h('span', { class: 'download-label' });
  const links = (['md', 'txt', 'json'] as const).map((format) =>
    h('a', { class: `btn download download-${format}`, download: '', text: format.toUpperCase() }));
  const notice = h('p', { class: 'result-notice' });
  const body = h('div', { class: 'result-body', tabindex: 0 });
  const dialog = h('dialog', { class: 'result', 'aria-labelledby': 'result-title' },
    h('header', { class: 'result-head' }, title, close),
    h('div', { class: 'result-tools' }, viewGroup, pager, h('div', { class: 'result-actions' }, copy, copyStatus),
      h('div', { class: 'downloads' }, downloadLabel, ...links)),
    notice, body);
  document.body.append(dialog);

  let task: TaskState | undefined;
  let result: TaskResult | undefined;
  let markdown: Renderer | undefined;
  let error = '';
  let mode: 'rendered' | 'raw' = 'rendered';
  /** 0 = all pages. */
  let page = 0;

  // The server lists pages for PDFs and multi-page TIFFs; a one-page image is its content alone.
  const pages = (): PageWithContent[] => result?.page_results ?? [];
  const failedPages = () => pages().filter((p) => p.status === 'failed');
  const currentMarkdown = () => (page === 0 ? result?.content ?? '' : pages().find((p) => p.page_number === page)?.content ?? '');

  function renderBody() {
    body.className = 'result-body';
    if (error) {
      body.classList.add('is-error');
      return replaceChildren(body, error);
    }
    if (!result || !markdown) return replaceChildren(body, t('result.loading'));
    const current = page === 0 ? undefined : pages().find((p) => p.page_number === page);
    if (current?.status === 'failed') {
      body.classList.add('is-error');
      return replaceChildren(body, h('p', { class: 'page-error', text: t('result.pageError', { n: page, error: current.error_message ?? '' }) }));
    }
    const source = currentMarkdown();
    // What the service did to this page's reply (its own text is never changed), under the page.
    const done = current?.warnings.length
      ? [h('p', { class: 'muted page-warnings', text: t('result.warnings', { list: current.warnings.map((w) => t(`warning.${w}`)).join('; ') }) })]
      : [];
    if (!source.trim()) return replaceChildren(body, h('p', { class: 'muted', text: t('result.empty') }), ...done);
    if (mode === 'raw') return replaceChildren(body, h('pre', { class: 'raw-markdown', text: source }), ...done);
    const article = h('div', { class: 'markdown-body' });
    markdown.renderMarkdownInto(article, source);
    replaceChildren(body, article, ...done);
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
    prev.setAttribute('aria-label', t('result.prevPage'));
    next.setAttribute('aria-label', t('result.nextPage'));
    const list = pages();
    pager.hidden = list.length === 0;
    replaceChildren(select,
      h('option', { value: '0', text: t('result.allPages') }),
      ...list.map((p) => h('option', {
        value: String(p.page_number),
        class: p.status === 'failed' ? 'failed' : '',
        text: p.status === 'failed' ? `✗ ${t('result.pageFailed', { n: p.page_number })}` : t('result.page', { n: p.page_number }),
      })));
    select.value = String(page);
    prev.disabled = page === 0;
    next.disabled = page >= list.length;
    const failed = failedPages();
    setText(notice, failed.length ? t('result.failedPages', { pages: failed.map((p) => p.page_number).join(', ') }) : '');
    notice.hidden = failed.length === 0;
    for (const [i, format] of (['md', 'txt', 'json'] as const).entries()) {
      links[i]!.href = task ? api.url(`/api/tasks/${encodeURIComponent(task.id)}/export?format=${format}`) : '#';
    }
  }

  const render = () => {
    renderTools();
    renderBody();
  };

  const showPage = (n: number) => {
    page = Math.max(0, Math.min(pages().length, n));
    render();
  };

  close.addEventListener('click', () => dialog.close());
  rendered.addEventListener('click', () => { mode = 'rendered'; render(); });
  raw.addEventListener('click', () => { mode = 'raw'; render(); });
  prev.addEventListener('click', () => showPage(page - 1));
  next.addEventListener('click', () => showPage(page + 1));
  select.addEventListener('change', () => showPage(Number(select.value)));
  copy.addEventListener('click', () => {
    void copyText(currentMarkdown()).then((ok) => {
      setText(copyStatus, t(ok ? 'result.copied' : 'result.copyFailed'));
      window.setTimeout(() => setText(copyStatus, ''), 2500);
    });
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  onLangChange(() => {
    if (dialog.open) render();
  });

  return {
    open(next) {
      task = next;
      result = undefined;
      error = '';
      mode = 'rendered';
      page = 0;
      setText(copyStatus, '');
      render();
      if (!dialog.open) dialog.showModal();
      Promise.all([api.getResult(next.id), loadRenderer()]).then(([answer, loaded]) => {
        if (task !== next) return;
        result = answer;
        markdown = loaded;
        render();
      }, (err: unknown) => {
        if (task !== next) return;
        error = t('result.loadFailed', { detail: err instanceof Error ? err.message : String(err) });
        render();
      });
    },
  };
}
