/**
 * The HTML export's own stylesheet (inlined: the document's CSP allows no other): readable type,
 * light or dark as the reader's system is, KaTeX displays that scroll instead of overflowing, and a
 * page per section when printed. Rendered Markdown looks as in the web page (src/render/markdown-styles.ts).
 */
export const EXPORT_STYLES = `
:root {
  color-scheme: light dark;
  --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --border: #d1d9e0; --surface: #f6f8fa; --surface-2: var(--surface);
  --link: #0969da; --error-fg: #a40e26; --error-bg: #fff1f0; --error-border: #ffcecb;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --border: #3d444d; --surface: #151b23; --surface-2: var(--surface);
    --link: #4493f8; --error-fg: #ffa198; --error-bg: #2d1417; --error-border: #8e1519;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.65 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", sans-serif;
}
a { color: var(--link); }
.doc { max-width: 50rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
.muted { color: var(--muted); }
.doc-head { border-bottom: 1px solid var(--border); padding-bottom: 1rem; margin-bottom: 1.5rem; }
.doc-title { font-size: 1.6rem; line-height: 1.3; margin: 0 0 0.25rem; overflow-wrap: anywhere; }
.doc-head > p { margin: 0; font-size: 0.9rem; }
.toc ol { list-style: none; display: flex; flex-wrap: wrap; gap: 0.35rem; margin: 0.9rem 0 0; padding: 0; }
.toc a {
  display: inline-block; min-width: 2.2rem; padding: 0.1rem 0.5rem; text-align: center; font-size: 0.85rem;
  border: 1px solid var(--border); border-radius: 6px; text-decoration: none; background: var(--surface);
}
.toc li.failed a { color: var(--error-fg); border-color: var(--error-border); background: var(--error-bg); }
.failed-pages, .page-error {
  color: var(--error-fg); background: var(--error-bg); border: 1px solid var(--error-border);
  border-radius: 8px; padding: 0.6rem 0.9rem;
}
.failed-pages { margin-top: 1rem; }
.failed-pages p { margin: 0; }
.failed-pages ul { margin: 0.3rem 0 0; padding-left: 1.25rem; }
.failed-pages a { color: inherit; }
.page { padding: 0.5rem 0 1.5rem; }
.page + .page { border-top: 1px solid var(--border); }
.page-label { font-size: 0.8rem; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase; margin: 0.5rem 0 0.75rem; }
.page-label a { color: var(--muted); text-decoration: none; }
.page-error { margin: 0.5rem 0; }
@media print {
  .toc { display: none; }
  .page + .page { border-top: 0; break-before: page; }
}
`.trim();
