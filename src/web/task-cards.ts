/**
 * Cards bound to tasks in the store, wherever they are shown (this session's uploads, the
 * history), with the task actions: view the result, cancel, retry the failed pages, delete. The page
 * subscribes over the WebSocket to every shown task that has not finished.
 */
import type { Api } from './api.js';
import { createCard } from './card.js';
import { taskCardView } from './card-view.js';
import { onLangChange, t } from './i18n.js';
import type { ResultView } from './result-view.js';
import { FINAL, type TaskStore } from './tasks.js';

export interface TaskCards {
  /** A card for a task already in the store; `onDisposed` runs when it leaves the page. */
  create(taskId: string, onDisposed?: () => void): { el: HTMLElement };
  /** Removes a card made by create(). */
  dispose(el: Element): void;
  /** Ids of shown tasks that have not finished: what the WebSocket should watch. */
  watched(): string[];
}

export function createTaskCards(deps: { api: Api; store: TaskStore; results: ResultView; onChange: () => void; onDeleted: (id: string) => void }): TaskCards {
  const { api, store } = deps;
  const shown = new Map<Element, { taskId: string; dispose: () => void }>();
  const failure = (err: unknown) => t('error.action', { detail: err instanceof Error ? err.message : String(err) });

  const dispose = (el: Element) => {
    const entry = shown.get(el);
    if (!entry) return;
    shown.delete(el);
    entry.dispose();
    el.remove();
    deps.onChange();
  };

  function create(taskId: string, onDisposed?: () => void) {
    const card = createCard({
      view: () => {
        const task = store.get(taskId);
        if (task) deps.results.open(task);
      },
      cancel: () => {
        store.patch(taskId, { cancelling: true, actionError: null });
        api.cancel(taskId).catch((err: unknown) => store.patch(taskId, { cancelling: false, actionError: failure(err) }));
      },
      retry: () => {
        store.patch(taskId, { actionError: null });
        api.retry(taskId).then(
          // The WebSocket subscription made for the again-running task brings the rest.
          () => store.patch(taskId, { status: 'pending', failed: 0, error: null, rate: null, eta: null }),
          (err: unknown) => store.patch(taskId, { actionError: failure(err) }),
        );
      },
      remove: () => {
        store.patch(taskId, { actionError: null });
        api.remove(taskId).then(() => {
          store.patch(taskId, { status: 'deleted' });
          deps.onDeleted(taskId);
        }, (err: unknown) => store.patch(taskId, { actionError: failure(err) }));
      },
    });
    const render = () => {
      const task = store.get(taskId);
      if (!task) return;
      if (task.status === 'deleted') return dispose(card.el);
      card.update(taskCardView(task));
    };
    card.el.dataset.taskId = taskId;
    const stopTask = store.onChange(taskId, () => {
      render();
      deps.onChange();
    });
    const stopLang = onLangChange(render);
    shown.set(card.el, {
      taskId,
      dispose: () => {
        stopTask();
        stopLang();
        onDisposed?.();
      },
    });
    render();
    deps.onChange();
    return { el: card.el };
  }

  return {
    create,
    dispose,
    watched() {
      const ids = new Set<string>();
      for (const { taskId } of shown.values()) {
        const task = store.get(taskId);
        if (task && !FINAL.has(task.status)) ids.add(taskId);
      }
      return [...ids];
    },
  };
}
