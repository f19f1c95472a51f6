/** What a card shows for a task, and for a file still being checked or uploaded. */
import type { CardView } from './card.js';
import type { FileKind } from './files.js';
import { formatDuration } from './format.js';
import { t, tm, type Message } from './i18n.js';
import { RESULT_STATUSES, RETRYABLE_STATUSES, RUNNING_TASK_STATUSES, type TaskOptions } from '../contract/index.js';
import { FINAL, type TaskState } from './tasks.js';

function progressLine(task: TaskState): string {
  // A finished image: its status says it all ("1/1 pages" would only repeat it).
  if (task.taskType === 'image_ocr' && FINAL.has(task.status)) return '';
  const parts = [t('card.progress', { done: task.processed + task.failed, total: task.totalPages })];
  if (task.failed > 0) parts.push(t('card.failed', { n: task.failed }));
  if (task.reusedPages > 0) parts.push(t('card.reused', { n: task.reusedPages }));
  if (task.rate !== null && task.rate > 0) parts.push(t('card.rate', { rate: task.rate.toFixed(1) }));
  if (task.status === 'processing' && task.eta !== null && task.eta > 0) parts.push(t('card.eta', { time: formatDuration(task.eta) }));
  return parts.join(' · ');
}

/** The options a task was submitted with, in a line: pages 1-3 · model · 300 DPI · JPEG · “instructions”. */
function optionsLine({ pages, model, dpi, image_format: format, prompt, disable_cache: fresh }: TaskOptions): string | null {
  const parts = [
    pages === undefined ? undefined : t('options.pagesValue', { pages }),
    model,
    dpi === undefined ? undefined : t('options.dpiValue', { dpi }),
    format === undefined ? undefined : t(`options.format.${format}`),
    prompt === undefined ? undefined : `“${prompt.length > 80 ? `${prompt.slice(0, 80)}…` : prompt}”`,
    fresh ? t('options.freshValue') : undefined,
  ].filter((part) => part !== undefined);
  return parts.length ? parts.join(' · ') : null;
}

export function taskCardView(task: TaskState): CardView {
  const running = (RUNNING_TASK_STATUSES as readonly string[]).includes(task.status);
  const done = (RESULT_STATUSES as readonly string[]).includes(task.status);
  return {
    fileName: task.fileName,
    kind: task.taskType === 'pdf_ocr' ? 'pdf' : 'image',
    size: task.fileSize,
    pages: task.totalPages,
    createdAt: task.createdAt,
    status: task.cancelling && running ? 'cancelling' : task.status,
    percent: task.status === 'deleted' ? null : task.progress,
    progress: task.status === 'deleted' ? '' : progressLine(task),
    notice: task.warnings.length ? task.warnings.map((w) => t(`taskWarning.${w}`)).join(' ') : null,
    options: optionsLine(task.options),
    // A partial task's page errors are shown with the pages in the result view; a cancelled task's
    // "error" is only the reason it stopped, which its status already says.
    error: task.actionError ?? (task.status === 'failed' ? task.error : null),
    can: {
      view: done,
      cancel: running && !task.cancelling,
      retry: (RETRYABLE_STATUSES as readonly string[]).includes(task.status),
      remove: task.status !== 'deleted',
      dismiss: false,
    },
  };
}

/** A file of this session before it became a task (or that never will). */
export interface UploadState {
  fileName: string;
  kind: FileKind;
  size: number;
  pages: number | undefined;
  phase: 'checking' | 'uploading' | 'refused';
  /** 0..1 of the bytes sent. */
  sent: number;
  error: Message | null;
}

export function uploadCardView(upload: UploadState): CardView {
  return {
    fileName: upload.fileName,
    kind: upload.kind,
    size: upload.size,
    pages: upload.kind === 'pdf' ? upload.pages : upload.kind === 'image' ? 1 : undefined,
    createdAt: null,
    status: upload.phase,
    percent: upload.phase === 'uploading' ? upload.sent * 100 : null,
    progress: upload.phase === 'uploading' ? t('card.uploaded', { percent: Math.round(upload.sent * 100) }) : '',
    notice: null,
    options: null,
    error: upload.error ? tm(upload.error) : null,
    can: { view: false, cancel: false, retry: false, remove: false, dismiss: upload.phase === 'refused' },
  };
}
