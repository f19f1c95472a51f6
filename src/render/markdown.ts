/**
 * Model output → safe HTML, the one renderer behind the web page (with the browser's DOMPurify) and
 * the HTML export (with DOMPurify over jsdom, src/export/html.ts), so both show and strip the same.
 * markdown-it parses with raw HTML off and the math plugin tokenises `$…$`, `$$…$$`, `\(…\)` and
 * `\[…\]` before Markdown can touch them (the old service's bug: Markdown ate `_`, `*` and `\\`
 * inside formulas); KaTeX renders them; DOMPurify then sanitizes the whole result.
 *
 * Runs in browsers and in Node: it imports no Node built-in and uses no DOM global (both tsconfigs
 * type-check it); the DOM it needs comes in with the DOMPurify instance.
 */
import type { Config, DOMPurify } from 'dompurify';
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

export const SANITIZE_OPTIONS = {
  // KaTeX's MathML (for screen readers) carries the TeX source in <semantics>/<annotation>.
  ADD_TAGS: ['semantics', 'annotation', 'eq', 'eqn'],
  ADD_ATTR: ['encoding', 'target'],
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
} satisfies Config;

/** The part of an element the link hook touches (typed here: the server's tsconfig has no DOM types). */
interface HookedElement {
  tagName: string;
  hasAttribute(name: string): boolean;
  setAttribute(name: string, value: string): void;
}

// Links from model output open elsewhere and tell the target nothing about the page they were on.
function openLinksElsewhere(node: HookedElement): void {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
}

/** Markdown → sanitized HTML with this DOMPurify instance (adds its link hook once: one renderer per instance). */
export function createMarkdownRenderer(purify: DOMPurify): (markdown: string) => string {
  purify.addHook('afterSanitizeAttributes', openLinksElsewhere);
  return (markdown) => purify.sanitize(md.render(markdown), SANITIZE_OPTIONS);
}
