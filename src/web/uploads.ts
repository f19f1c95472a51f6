/**
 * Files in: the drop zone, the file picker, pasted images. Each file gets a card at once (name,
 * type, size, pages), is checked against the server's limits, then uploaded — two at a time — and
 * its card becomes the task's card.
 */
import { ApiError, type Api } from './api.js';
import { createCard, type Card } from './card.js';
import { uploadCardView, type UploadState } from './card-view.js';
import type { PageConfig } from './config.js';
import { h, setText } from './dom.js';
import { countPdfPages, refusal, sniffKind } from './files.js';
import { onLangChange, t } from './i18n.js';
import { createOptionsPanel } from './options-panel.js';
import { FINAL, type TaskStore } from './tasks.js';
import type { TaskCards } from './task-cards.js';

const PARALLEL_UPLOADS = 2;

interface Entry { file: File; state: UploadState; card: Card }

export interface Uploads {
  el: HTMLElement;
  /** Task ids whose cards are in this list (the history leaves them out). */
  taskIds(): Set<string>;
}

export function createUploads(deps: { api: Api; config: PageConfig; store: TaskStore; cards: TaskCards; onTasksChanged: () => void }): Uploads {
  const { api, config, store, cards } = deps;
  const options = createOptionsPanel(api);
  const input = h('input', { type: 'file', multiple: true, accept: 'image/*,.pdf,application/pdf', class: 'file-input', hidden: true });
  const pick = h('button', { type: 'button', class: 'btn btn-primary act-pick', onclick: () => input.click() });
  const title = h('p', { class: 'drop-title' });
  const hint = h('p', { class: 'drop-hint' });
  const zone = h('div', { class: 'dropzone' }, h('div', { class: 'drop-icon', 'aria-hidden': 'true', text: '⇪' }), title, pick, hint, input);
  const heading = h('h2', { class: 'section-title' });
  const clear = h('button', { type: 'button', class: 'btn btn-small act-clear' });
  const list = h('div', { class: 'card-list uploads-list' });
  const head = h('div', { class: 'section-head' }, heading, clear);
  const section = h('section', { class: 'uploads', 'aria-labelledby': 'uploads-title' }, head, list);
  heading.id = 'uploads-title';
  const el = h('div', { class: 'upload-area' }, options.el, zone, section);

  const entries: Entry[] = [];
  const taskIds = new Set<string>();
  const queue: Entry[] = [];
  let active = 0;

  const relabel = () => {
    setText(title, t('drop.title'));
    setText(pick, t('drop.pick'));
    setText(hint, t('drop.hint', { img: config.maxImageMb, pdf: config.maxPdfMb, pages: config.maxPdfPages }));
    setText(heading, t('uploads.title'));
    setText(clear, t('uploads.clear'));
    for (const entry of entries) entry.card.update(uploadCardView(entry.state));
  };

  const updateSection = () => {
    section.hidden = list.childElementCount === 0;
  };

  const update = (entry: Entry) => entry.card.update(uploadCardView(entry.state));

  const forget = (entry: Entry) => {
    entries.splice(entries.indexOf(entry), 1);
    entry.card.el.remove();
    updateSection();
  };

  async function send(entry: Entry) {
    const kind = entry.state.kind === 'pdf' ? 'pdf' : 'image';
    entry.state.phase = 'uploading';
    update(entry);
    try {
      const chosen = options.current();
      const answer = await api.upload(entry.file, entry.state.fileName, kind, chosen, (sent) => {
        entry.state.sent = sent;
        update(entry);
      });
      const task = store.fromSummary({
        id: answer.task_id, task_type: kind === 'pdf' ? 'pdf_ocr' : 'image_ocr', status: 'pending',
        file_name: entry.state.fileName, file_size: entry.state.size, total_pages: answer.total_pages ?? 1,
        processed_pages: 0, failed_pages: 0, progress: 0, created_at: new Date().toISOString(), error_message: null, warnings: [],
        // As the server will answer them (a number for dpi); the list's answers replace them later.
        options: { ...chosen, ...(chosen.dpi ? { dpi: Number(chosen.dpi) } : {}) },
      });
      taskIds.add(task.id);
      entries.splice(entries.indexOf(entry), 1);
      entry.card.el.replaceWith(cards.create(task.id, () => {
        taskIds.delete(task.id);
        updateSection();
      }).el);
      deps.onTasksChanged();
    } catch (err) {
      entry.state.phase = 'refused';
      entry.state.error = { key: 'error.upload', vars: { detail: err instanceof ApiError || err instanceof Error ? err.message : String(err) } };
      update(entry);
    }
  }

  const pump = () => {
    while (active < PARALLEL_UPLOADS && queue.length > 0) {
      const entry = queue.shift()!;
      active++;
      void send(entry).finally(() => {
        active--;
        pump();
      });
    }
  };

  async function check(entry: Entry) {
    const kind = await sniffKind(entry.file);
    entry.state.kind = kind;
    update(entry);
    if (kind === 'pdf') {
      entry.state.pages = await countPdfPages(entry.file);
      update(entry);
    }
    const refused = refusal(kind, entry.file.size, entry.state.pages, config);
    if (refused) {
      entry.state.phase = 'refused';
      entry.state.error = refused;
      update(entry);
      return;
    }
    queue.push(entry);
    pump();
  }

  function addFiles(files: File[]) {
    for (const file of files) {
      const state: UploadState = { fileName: file.name || 'pasted-image.png', kind: 'unknown', size: file.size, pages: undefined, phase: 'checking', sent: 0, error: null };
      const entry: Entry = {
        file,
        state,
        card: createCard({ dismiss: () => forget(entry) }),
      };
      entries.push(entry);
      update(entry);
      list.prepend(entry.card.el);
      void check(entry);
    }
    updateSection();
  }

  input.addEventListener('change', () => {
    addFiles([...(input.files ?? [])]);
    input.value = '';
  });
  clear.addEventListener('click', () => {
    for (const entry of entries.filter((e) => e.state.phase === 'refused')) forget(entry);
    for (const card of [...list.querySelectorAll<HTMLElement>('.card')]) {
      const status = card.dataset.status ?? '';
      if ((FINAL as ReadonlySet<string>).has(status)) cards.dispose(card);
    }
    updateSection();
    // The cleared tasks are the history's to show now.
    deps.onTasksChanged();
  });

  // Files dropped anywhere on the page count; the zone lights up while something is dragged over.
  let dragDepth = 0;
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    dragDepth++;
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) zone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    zone.classList.remove('dragging');
    addFiles([...(e.dataTransfer?.files ?? [])]);
  });
  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    e.preventDefault();
    addFiles(files);
  });

  onLangChange(relabel);
  relabel();
  updateSection();
  return { el, taskIds: () => new Set(taskIds) };
}
