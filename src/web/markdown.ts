/**
 * Model output → safe HTML in the page: the shared renderer (src/render/markdown.ts, also behind the
 * HTML export) with the browser's DOMPurify.
 */
import DOMPurify from 'dompurify';
import { createMarkdownRenderer } from '../render/markdown.js';
import { MARKDOWN_CSS } from '../render/markdown-styles.js';

// How rendered Markdown looks comes with the renderer (the HTML export inlines the same rules).
document.head.append(Object.assign(document.createElement('style'), { textContent: MARKDOWN_CSS }));

export const markdownToSafeHtml: (markdown: string) => string = createMarkdownRenderer(DOMPurify);

/**
 * The one place the page assigns innerHTML — and only with what DOMPurify returned. Every other
 * text (file names, server messages, raw Markdown) goes in as textContent.
 */
export function renderMarkdownInto(el: HTMLElement, markdown: string): void {
  el.innerHTML = markdownToSafeHtml(markdown);
}

/** The rendered Markdown in an element of its own, outside the document (for counting search matches). */
export function renderDetached(markdown: string): HTMLElement {
  const el = document.createElement('div');
  renderMarkdownInto(el, markdown);
  return el;
}
