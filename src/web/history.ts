/**
 * The task history from the server: newest first, ten a page, filtered by status. It is the
 * server's list, so it survives reloads and is the same on every device.
 */
import { TASK_STATUSES, type TaskStatus } from '../contract/index.js';
import type { Api } from './api.js';
import { h, replaceChildren, setText } from './dom.js';
import { onLangChange, t } from './i18n.js';
import type { TaskCards } from './task-cards.js';
import type { TaskStore } from './tasks.js';

const PAGE_SIZE = 10;

export interface History {
  el: HTMLElement;
  reload(): Promise<void>;
}

export function createHistory(deps: { api: Api; store: TaskStore; cards: TaskCards; hidden: () => Set<string> }): History {
  const { api, store, cards } = deps;
  const heading = h('h2', { class: 'section-title', id: 'history-title' });
  const filter = h('select', { class: 'status-filter' });
  const filterLabel = h('span', { class: 'filter-label' });
  const refresh = h('button', { type: 'button', class: 'btn btn-small act-refresh' });
  const list = h('div', { class: 'card-list history-list', 'aria-live': 'off' });
  const message = h('p', { class: 'muted history-message' });
  const prev = h('button', { type: 'button', class: 'btn btn-small act-prev-page' });
  const next = h('button', { type: 'button', class: 'btn btn-small act-next-page' });
  const pageInfo = h('span', { class: 'page-info' });
  const pager = h('nav', { class: 'history-pager' }, prev, pageInfo, next);
  const el = h('section', { class: 'history', 'aria-labelledby': 'history-title' },
    h('div', { class: 'section-head' }, heading, h('div', { class: 'section-tools' }, h('label', { class: 'filter' }, filterLabel, filter), refresh)),
    message, list, pager);

  let offset = 0;
  let total = 0;
  let status: TaskStatus | '' = '';
  let failed = '';
  /** Nothing is said about an empty list before the first answer. */
  let loaded = false;
  let loading: Promise<void> | undefined;
  let again = false;

  const relabel = () => {
    setText(heading, t('history.title'));
    setText(filterLabel, t('history.filter'));
    setText(refresh, t('history.refresh'));
    setText(prev, t('history.prev'));
    setText(next, t('history.next'));
    replaceChildren(filter, h('option', { value: '', text: t('history.all') }),
      ...TASK_STATUSES.map((s) => h('option', { value: s, text: t(`status.${s}`) })));
    filter.value = status;
    renderPager();
  };

  function renderPager() {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    setText(pageInfo, t('history.page', { page: Math.floor(offset / PAGE_SIZE) + 1, pages, total }));
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE_SIZE >= total;
    pager.hidden = total <= PAGE_SIZE && offset === 0;
    const text = !loaded ? '' : failed ? t('history.loadFailed', { detail: failed })
      : total === 0 ? t('history.empty')
        : list.childElementCount === 0 ? t('history.allAbove') : '';
    setText(message, text);
    message.hidden = text === '';
    message.classList.toggle('is-error', failed !== '');
  }

  async function load() {
    try {
      const answer = await api.listTasks({ limit: PAGE_SIZE, offset, status });
      failed = '';
      total = answer.pagination.total;
      // A page emptied by deletions: step back to the last page that has tasks.
      if (answer.data.length === 0 && offset > 0 && total > 0) {
        offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
        again = true;
        return;
      }
      for (const card of [...list.children]) cards.dispose(card);
      const hidden = deps.hidden();
      for (const summary of answer.data) {
        store.fromSummary(summary);
        if (!hidden.has(summary.id)) list.append(cards.create(summary.id).el);
      }
    } catch (err) {
      failed = err instanceof Error ? err.message : String(err);
    }
    loaded = true;
    renderPager();
  }

  /** One load at a time; a reload asked for meanwhile runs once after it. */
  function reload(): Promise<void> {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        await load();
      } while (again);
      loading = undefined;
    })();
    return loading;
  }

  filter.addEventListener('change', () => {
    status = (TASK_STATUSES as readonly string[]).includes(filter.value) ? (filter.value as TaskStatus) : '';
    offset = 0;
    void reload();
  });
  refresh.addEventListener('click', () => void reload());
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    void reload();
  });
  next.addEventListener('click', () => {
    offset += PAGE_SIZE;
    void reload();
  });
  onLangChange(relabel);
  relabel();
  return { el, reload };
}
