/**
 * The task vocabulary: statuses, types and page statuses as the tasks table, the workflow, the API,
 * the WebSocket and the web page all spell them. A new status is added here (to one of the two
 * lists) and in a migration of the tasks table's check constraint; every exhaustive `switch` and
 * `Record<TaskStatus, …>` that misses it then fails `npm run typecheck`.
 */
import type { WebhookEvent } from './webhooks.js';

/** A task that has no outcome yet: queued, or with the model. */
export const RUNNING_TASK_STATUSES = ['pending', 'processing'] as const;
/** A task's outcome. `partial`: some pages failed (each with its error), the rest have content. */
export const FINAL_TASK_STATUSES = ['completed', 'partial', 'failed', 'cancelled'] as const;
export const TASK_STATUSES = [...RUNNING_TASK_STATUSES, ...FINAL_TASK_STATUSES] as const;

export type RunningTaskStatus = (typeof RUNNING_TASK_STATUSES)[number];
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const isFinalStatus = (status: TaskStatus): status is FinalTaskStatus =>
  (FINAL_TASK_STATUSES as readonly TaskStatus[]).includes(status);

/** Outcomes with content to show and export (a partial task has the pages that succeeded). */
export const RESULT_STATUSES = ['completed', 'partial'] as const satisfies readonly FinalTaskStatus[];
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** Outcomes a retry may follow: it runs the pages that have no content again. */
export const RETRYABLE_STATUSES = ['partial', 'failed'] as const satisfies readonly FinalTaskStatus[];

/**
 * `queue_status`, as clients of the service this one replaces read it: they know no `partial`, and
 * for a queue a partial task is done (docs/compatibility.md, "Statuses and lifecycle").
 */
export type QueueStatus = Exclude<TaskStatus, 'partial'>;

export const TASK_TYPES = ['image_ocr', 'pdf_ocr'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** A page has a row only once it is finished: with content, or failed with its error. */
export const PAGE_STATUSES = ['completed', 'failed'] as const;
export type PageStatus = (typeof PAGE_STATUSES)[number];

/**
 * What was done to a page on its way to the stored Markdown, listed with the page: the clean-ups of
 * the model's reply (vision/answer.ts; never of the page's own text); `blank_page`: a PDF page with
 * nothing on it (pdf/blank.ts), completed as empty without a model call; `retried_after_…`: a bad
 * answer (a refusal, a loop, a cut-off or empty reply) was asked again, at a higher temperature
 * (vision/retry.ts). A page without warnings is the model's first reply as it came.
 */
export const PAGE_WARNINGS = [
  'fence_removed', 'preamble_removed', 'offer_removed', 'math_delimiters_rewritten', 'blank_page', 'orientation_applied', 'alpha_flattened', 'downscaled',
  'retried_after_refusal', 'retried_after_repetition', 'retried_after_truncation', 'retried_after_empty_reply',
] as const;
export type PageWarning = (typeof PAGE_WARNINGS)[number];

/**
 * What the service noticed about an uploaded file itself, kept on its task: `pdf_repaired`, a PDF
 * that mupdf had to rebuild to read (a damaged cross-reference table, a file cut short); its pages
 * are those mupdf recovered, and some may be missing or wrong.
 */
export const TASK_WARNINGS = ['pdf_repaired'] as const;
export type TaskWarning = (typeof TASK_WARNINGS)[number];

/**
 * How page images are encoded for the model (IMAGE_FORMAT): `auto` sends the smaller of lossless
 * PNG and JPEG at JPEG_QUALITY, page by page (a text page as PNG, a scan or photo as JPEG).
 */
export const IMAGE_FORMATS = ['auto', 'png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** The most characters of extra instructions a task's `prompt` option may hold. */
export const MAX_PROMPT_CHARS = 2000;
/** The range of a task's `dpi` option. */
export const TASK_DPI = { min: 72, max: 400 } as const;

/**
 * What a caller chose for one task (multipart fields beside the file, or query parameters), kept
 * with it and used by its retries; what is not set follows the service's settings. `model`: one of
 * MODELS; `prompt`: instructions added to the system prompt; `dpi` and `image_format`: how its
 * pages are rendered and sent (PDF_DPI, IMAGE_FORMAT).
 */
export interface TaskOptions {
  /** Page ranges such as "1-3,5" (as stored: merged, ascending); only these are read, counted and billed. */
  pages?: string;
  model?: string;
  prompt?: string;
  dpi?: number;
  image_format?: ImageFormat;
  /** Fresh model calls for every page, even where an earlier task read the same page the same way. */
  disable_cache?: true;
  /** Where this task's events are posted (signed; see contract/webhooks.ts). */
  webhook_url?: string;
  /** Which events go to webhook_url (as stored: in WEBHOOK_EVENTS order); default the final ones. */
  webhook_events?: WebhookEvent[];
}

/** Status of a batch of pages in the `batches` views (derived from its pages). */
export const BATCH_STATUSES = ['pending', 'processing', 'completed', 'partial', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
