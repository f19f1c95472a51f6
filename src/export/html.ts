/**
 * The HTML export: one self-contained file that opens offline and runs nothing. Each page's
 * Markdown goes through the web page's own renderer (src/render/markdown.ts: markdown-it, KaTeX,
 * DOMPurify, here over jsdom) into a section `#page-N`; failed pages say why, here and at the top;
 * KaTeX's CSS and fonts are inlined only when some page has math. The document carries its CSP in a
 * <meta>, so it holds wherever the file is opened: no script, and no request at all (a remote image
 * in model output would be a tracking pixel).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PageRow } from '../store/pages.js';
import type { TaskRow } from '../store/tasks.js';
import { inlineKatexCss } from './katex-css.js';
import { EXPORT_STYLES } from './html-styles.js';
import { MARKDOWN_CSS } from '../render/markdown-styles.js';
import { escapeHtml } from '../render/escape.js';

/** Also sent as a header; `base-uri`/`form-action` are not covered by default-src. */
export const HTML_EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; base-uri 'none'; form-action 'none'";

export type ExportTask = Pick<TaskRow, 'id' | 'file_name' | 'status' | 'total_pages' | 'completed_at'>;
export type ExportPage = Pick<PageRow, 'page_number' | 'status' | 'content' | 'error_message'>;

type Render = (markdown: string) => string;
let renderer: Promise<Render> | undefined;
/**
 * jsdom (a DOM for DOMPurify), markdown-it and KaTeX are megabytes the API does not load until the
 * first HTML export. One window serves every export: DOMPurify parses each input in a fresh document.
 */
const loadRenderer = () => (renderer ??= (async () => {
  const [{ JSDOM }, { default: createDOMPurify }, { createMarkdownRenderer }] = await Promise.all([
    import('jsdom'), import('dompurify'), import('../render/markdown.js'),
  ]);
  return createMarkdownRenderer(createDOMPurify(new JSDOM('').window));
})().catch((err: unknown) => {
  renderer = undefined;
  throw err;
}));


function pageSection(page: ExportPage, html: string | undefined, paged: boolean): string {
  const id = `page-${page.page_number}`;
  const label = paged ? `<h2 class="page-label"><a href="#${id}">Page ${page.page_number}</a></h2>\n` : '';
  let body: string;
  if (page.status === 'failed') {
    body = `<p class="page-error" role="note"><strong>Page ${page.page_number} could not be recognised / 第 ${page.page_number} 页识别失败:</strong> ${escapeHtml(page.error_message ?? '')}</p>`;
  } else if (!html) {
    body = '<p class="muted">(empty page / 空白页)</p>';
  } else {
    body = `<div class="markdown-body">\n${html}\n</div>`;
  }
  return `<section class="page${page.status === 'failed' ? ' failed' : ''}" id="${id}">\n${label}${body}\n</section>`;
}

function header(task: ExportTask, pages: ExportPage[], paged: boolean): string {
  const failed = pages.filter((p) => p.status === 'failed');
  const facts = [
    `${pages.length} ${pages.length === 1 ? 'page' : 'pages'}`,
    ...(failed.length ? [`${failed.length} failed`] : []),
    ...(task.completed_at ? [`recognised ${task.completed_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`] : []),
    `task ${task.id}`,
  ];
  const toc = paged
    ? `<nav class="toc" aria-label="Pages"><ol>${pages.map((p) => `<li${p.status === 'failed' ? ' class="failed"' : ''}><a href="#page-${p.page_number}">${p.page_number}</a></li>`).join('')}</ol></nav>\n`
    : '';
  const failures = failed.length
    ? `<div class="failed-pages" role="note"><p><strong>Pages that could not be recognised / 以下页面识别失败:</strong></p><ul>${failed.map((p) =>
      `<li><a href="#page-${p.page_number}">Page ${p.page_number}</a>: ${escapeHtml(p.error_message ?? '')}</li>`).join('')}</ul></div>\n`
    : '';
  return `<header class="doc-head">\n<h1 class="doc-title">${escapeHtml(task.file_name)}</h1>\n<p class="muted">${escapeHtml(facts.join(' · '))}</p>\n${toc}${failures}</header>`;
}

/** The whole document for a finished task (completed or partial), its pages in page order. */
export async function renderHtmlExport(task: ExportTask, pages: ExportPage[]): Promise<string> {
  const render = await loadRenderer();
  const rendered: Array<string | undefined> = [];
  for (const page of pages) {
    rendered.push(page.status === 'completed' && page.content?.trim() ? render(page.content) : undefined);
    // Sanitizing a page of math in jsdom takes about 12 ms: a turn of the event loop after each
    // keeps the API answering during a 500-page export, and lets the page's parsed documents go
    // (jsdom tracks their node iterators in WeakRefs, which hold them until the turn ends: 250 MB
    // at once for 500 pages without this).
    await nextTurn();
  }
  // KaTeX's output (class "katex", also in an error span for unparsable TeX) needs its CSS and fonts;
  // without math the file stays a few kB.
  const math = rendered.some((html) => html?.includes('class="katex'));
  const paged = pages.length > 1 || task.total_pages > 1;
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_EXPORT_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(task.file_name)}</title>`,
    `<style>${EXPORT_STYLES}
${MARKDOWN_CSS}</style>`,
    ...(math ? [`<style>${await inlineKatexCss()}</style>`] : []),
    '</head>',
    '<body>',
    '<div class="doc">',
    header(task, pages, paged),
    '<main>',
    ...pages.map((p, i) => pageSection(p, rendered[i], paged)),
    '</main>',
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
