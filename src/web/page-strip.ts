/**
 * The strip of page thumbnails beside a result: each page's image (loaded as it scrolls into view)
 * with its number and status, failed pages marked. A click (or Enter) shows that page.
 */
import type { PageStatus } from '../contract/index.js';
import type { Api } from './api.js';
import { h, replaceChildren, setText } from './dom.js';
import { t } from './i18n.js';

/** Thumbnails are about 5 rem wide: 200 px is sharp on a screen of twice the density. */
const THUMB_WIDTH = 200;

export interface StripPage { page_number: number; status: PageStatus }

export interface PageStrip {
  el: HTMLElement;
  show(taskId: string, pages: StripPage[]): void;
  /** Marks the page shown (0: none) and scrolls its thumbnail into view. */
  select(pageNumber: number): void;
  /** Labels again in the current language. */
  relabel(): void;
}

export function createPageStrip(api: Api, onPick: (pageNumber: number) => void): PageStrip {
  const list = h('ol', { class: 'page-strip-list' });
  const el = h('nav', { class: 'page-strip' }, list);
  let buttons = new Map<number, { button: HTMLButtonElement; label: HTMLElement; page: StripPage }>();
  let current = 0;

  const labelOf = (page: StripPage) => (page.status === 'failed' ? t('result.pageFailed', { n: page.page_number }) : t('result.page', { n: page.page_number }));

  function relabel() {
    el.setAttribute('aria-label', t('result.thumbnails'));
    for (const { button, label, page } of buttons.values()) {
      button.setAttribute('aria-label', labelOf(page));
      setText(label, page.status === 'failed' ? `✗ ${page.page_number}` : String(page.page_number));
    }
  }

  return {
    el,
    show(taskId, pages) {
      buttons = new Map();
      replaceChildren(list, ...pages.map((page) => {
        const label = h('span', { class: 'thumb-label' });
        const button = h('button', { type: 'button', class: `thumb${page.status === 'failed' ? ' failed' : ''}`, 'data-page': page.page_number },
          h('img', { src: api.pageImageUrl(taskId, page.page_number, THUMB_WIDTH), alt: '', loading: 'lazy', decoding: 'async' }),
          label);
        button.addEventListener('click', () => onPick(page.page_number));
        buttons.set(page.page_number, { button, label, page });
        return h('li', {}, button);
      }));
      current = 0;
      relabel();
    },
    select(pageNumber) {
      buttons.get(current)?.button.removeAttribute('aria-current');
      current = pageNumber;
      const entry = buttons.get(pageNumber);
      if (!entry) return;
      entry.button.setAttribute('aria-current', 'page');
      entry.button.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    },
    relabel,
  };
}
