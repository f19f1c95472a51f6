/**
 * One task card: file name, type, size, pages, status, a progress bar with pages done, failed,
 * pages per minute and time left, what was noticed about the file, the task's error, and its actions. Elements are made once and
 * updated in place, so a live update never takes the keyboard focus away from a button.
 */
import { h, setText } from './dom.js';
import { formatBytes, formatDate } from './format.js';
import type { FileKind } from './files.js';
import { t } from './i18n.js';
import type { PageTaskStatus } from './tasks.js';

/** A task's status on the page, or a step before the server has the task (each has a `status.…` message). */
export type CardStatus = PageTaskStatus | 'checking' | 'uploading' | 'refused' | 'cancelling';

export interface CardView {
  fileName: string;
  kind: FileKind;
  size: number;
  pages: number | undefined;
  createdAt: string | null;
  status: CardStatus;
  /** Bar value in percent; null hides the bar. */
  percent: number | null;
  /** The line under the bar (already translated). */
  progress: string;
  /** What was noticed about the file (already translated); null when nothing was. */
  notice: string | null;
  /** The options the task runs with (already translated); null when none were chosen. */
  options: string | null;
  error: string | null;
  can: { view: boolean; cancel: boolean; retry: boolean; remove: boolean; dismiss: boolean };
}

export interface CardActions {
  view?: () => void;
  cancel?: () => void;
  retry?: () => void;
  remove?: () => void;
  dismiss?: () => void;
}

export interface Card {
  el: HTMLElement;
  update(view: CardView): void;
}

const CONFIRM_MS = 4000;

function pagesText(pages: number | undefined): string {
  if (pages === undefined) return t('card.pagesUnknown');
  return pages === 1 ? t('card.page') : t('card.pages', { n: pages });
}

export function createCard(actions: CardActions): Card {
  const badge = h('span', { class: 'badge' });
  const name = h('h3', { class: 'card-name' });
  const status = h('span', { class: 'card-status' });
  const meta = h('p', { class: 'card-meta' });
  const fill = h('div', { class: 'bar-fill' });
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
  // Not a live region: with many cards, every page of every task would be read out.
  const progress = h('p', { class: 'card-progress' });
  const notice = h('p', { class: 'card-notice' });
  const options = h('p', { class: 'card-options' });
  const error = h('p', { class: 'card-error' });
  const button = (cls: string, handler: (() => void) | undefined) =>
    h('button', { type: 'button', class: `btn ${cls}`, onclick: () => handler?.() });
  const view = button('btn-primary act-view', actions.view);
  const retry = button('act-retry', actions.retry);
  const cancel = button('act-cancel', actions.cancel);
  const dismiss = button('act-dismiss', actions.dismiss);

  // Deleting takes two clicks: the first turns the button into a question for a few seconds.
  const remove = h('button', { type: 'button', class: 'btn btn-danger act-delete' });
  let confirming = false;
  let confirmTimer: number | undefined;
  const setConfirming = (on: boolean) => {
    confirming = on;
    remove.classList.toggle('confirming', on);
    setText(remove, t(on ? 'action.confirmDelete' : 'action.delete'));
  };
  remove.addEventListener('click', () => {
    window.clearTimeout(confirmTimer);
    if (!confirming) {
      setConfirming(true);
      confirmTimer = window.setTimeout(() => setConfirming(false), CONFIRM_MS);
      return;
    }
    setConfirming(false);
    actions.remove?.();
  });

  const el = h('article', { class: 'card' },
    h('div', { class: 'card-head' }, badge, name, status),
    meta, bar, progress, options, notice, error,
    h('div', { class: 'card-actions' }, view, retry, cancel, remove, dismiss));

  return {
    el,
    update(v) {
      el.dataset.status = v.status;
      el.setAttribute('aria-label', v.fileName);
      setText(badge, t(`type.${v.kind}`));
      badge.dataset.kind = v.kind;
      setText(name, v.fileName);
      name.title = v.fileName;
      setText(status, t(`status.${v.status}`));
      setText(meta, [formatBytes(v.size), v.kind === 'pdf' || v.pages !== undefined ? pagesText(v.pages) : '', formatDate(v.createdAt)]
        .filter(Boolean).join(' · '));
      bar.hidden = v.percent === null;
      const percent = Math.max(0, Math.min(100, v.percent ?? 0));
      fill.style.width = `${percent}%`;
      bar.setAttribute('aria-valuenow', String(Math.round(percent)));
      bar.setAttribute('aria-label', t('card.progressLabel', { name: v.fileName }));
      setText(progress, v.progress);
      progress.hidden = v.progress === '';
      setText(notice, v.notice ?? '');
      notice.hidden = !v.notice;
      // Set as text: the instructions are the caller's own words.
      setText(options, v.options ?? '');
      options.hidden = !v.options;
      setText(error, v.error ?? '');
      error.hidden = !v.error;
      setText(view, t('action.view'));
      setText(retry, t('action.retry'));
      setText(cancel, t('action.cancel'));
      setText(dismiss, t('action.dismiss'));
      if (!confirming) setText(remove, t('action.delete'));
      view.hidden = !v.can.view;
      retry.hidden = !v.can.retry;
      cancel.hidden = !v.can.cancel;
      remove.hidden = !v.can.remove;
      dismiss.hidden = !v.can.dismiss;
    },
  };
}
