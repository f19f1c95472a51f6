/**
 * Model output → safe HTML. markdown-it parses with raw HTML off and the math plugin tokenises
 * `$…$`, `$$…$$`, `\(…\)` and `\[…\]` before Markdown can touch them (the old service's bug: Markdown
 * ate `_`, `*` and `\\` inside formulas); KaTeX renders them; DOMPurify then sanitizes the whole result.
 */
import DOMPurify from 'dompurify';
import katex from 'katex';
import MarkdownIt from 'markdown-it';
import texmath from 'markdown-it-texmath';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.use(texmath, {
  engine: katex,
  delimiters: ['dollars', 'brackets'],
  // A formula KaTeX cannot parse is shown as its source in red, never as an exception; \href and
  // friends stay inert (trust: false).
  katexOptions: { throwOnError: false, trust: false, strict: 'ignore', output: 'htmlAndMathml' },
});

// Links from model output open elsewhere and tell the target nothing about this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function markdownToSafeHtml(markdown: string): string {
  return DOMPurify.sanitize(md.render(markdown), {
    // KaTeX's MathML (for screen readers) carries the TeX source in <semantics>/<annotation>.
    ADD_TAGS: ['semantics', 'annotation', 'eq', 'eqn'],
    ADD_ATTR: ['encoding', 'target'],
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
  });
}

/**
 * The one place the page assigns innerHTML — and only with what DOMPurify returned. Every other
 * text (file names, server messages, raw Markdown) goes in as textContent.
 */
export function renderMarkdownInto(el: HTMLElement, markdown: string): void {
  el.innerHTML = markdownToSafeHtml(markdown);
}
