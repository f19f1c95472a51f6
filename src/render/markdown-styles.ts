/**
 * How rendered Markdown looks, the same in the web page (markdown.ts adds it with the renderer) and
 * in the HTML export (inlined): headings, tables, code, quotes, and formulas that scroll instead of
 * overflowing. Colours come from the host's variables (--border, --muted, --surface-2).
 */
export const MARKDOWN_CSS = `
.markdown-body { overflow-wrap: break-word; line-height: 1.65; }
.markdown-body > :first-child { margin-top: 0; }
.markdown-body h1 { font-size: 1.5rem; line-height: 1.3; }
.markdown-body h2 { font-size: 1.25rem; line-height: 1.35; }
.markdown-body h3 { font-size: 1.1rem; }
.markdown-body table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%; margin: 1rem 0; }
.markdown-body th, .markdown-body td { border: 1px solid var(--border); padding: 0.35rem 0.7rem; }
.markdown-body th { background: var(--surface-2); }
.markdown-body pre { background: var(--surface-2); padding: 0.75rem; border-radius: 8px; overflow-x: auto; }
.markdown-body code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
.markdown-body img { max-width: 100%; }
.markdown-body blockquote { margin: 0; padding-left: 1rem; border-left: 3px solid var(--border); color: var(--muted); }
.markdown-body eq { display: inline; }
.markdown-body eqn, .markdown-body section.eqno { display: block; overflow-x: auto; overflow-y: hidden; padding: 0.25rem 0; }
.markdown-body .katex-display { overflow-x: auto; overflow-y: hidden; }
`.trim();
