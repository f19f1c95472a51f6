/**
 * The JSON answers of the REST API that more than one side reads: the server's views build them
 * (typed against these), the OpenAPI document describes them (its zod shapes `satisfies` these),
 * the web page and the WebSocket messages carry them. Times are ISO-8601 UTC strings.
 */
import type { BatchStatus, PageStatus, PageWarning, QueueStatus, TaskOptions, TaskStatus, TaskType, TaskWarning } from './tasks.js';

/** Every error answer (4xx, and the bare 500): `detail` for a person, `code` for a program. */
export interface ErrorBody { detail: string; code: string }

/**
 * Tokens of every model call a task made (the failed and stopped ones too: what the provider bills),
 * and their cost at MODEL_PRICES.
 */
export interface Usage {
  /** MODEL when the task (or its latest retry) started; null before. */
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /**
   * Some of the tokens are an estimate: a call stopped before the server reported its usage (a loop
   * cut off as it streamed, a timeout) is counted by the length of what it wrote.
   */
  estimated: boolean;
  /** null when the model has no price. */
  cost: number | null;
  /** PRICE_CURRENCY; null with `cost`. */
  currency: string | null;
  /** What the pages copied from earlier tasks cost when those read them (not counted above: they cost nothing now). */
  reused_prompt_tokens: number;
  reused_completion_tokens: number;
}

/** A finished task's figures, kept with its outcome. */
export interface ResultSummary {
  total_pages: number;
  successful_pages: number;
  failed_pages: number;
  /** "87.5%" */
  success_rate: string;
  /** Seconds from the first start to the outcome. */
  processing_time: number;
  content_length: number;
  file_size_mb: string;
}

/** A task as lists show it (GET /api/tasks rows, the `task` of WebSocket outcome messages). */
export interface TaskSummary {
  id: string;
  task_type: TaskType;
  status: TaskStatus;
  queue_status: QueueStatus;
  file_name: string;
  /** Bytes. */
  file_size: number;
  /** MB with two decimals, e.g. "3.21". */
  file_size_mb: string;
  mime_type: string;
  total_pages: number;
  processed_pages: number;
  failed_pages: number;
  /** Percent; 100 once the task has an outcome (a cancelled task shows how far it got). */
  progress: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  last_updated_at: string;
  error_code: string | null;
  error_message: string | null;
  metadata: Record<string, unknown>;
  result_summary: ResultSummary | null;
  usage: Usage;
  /** What was noticed about the file at upload ([] when nothing was). */
  warnings: TaskWarning[];
  /** What the caller chose for this task ({} when nothing: the service's settings apply). */
  options: TaskOptions;
  /** Pages copied from an earlier task that read the same page the same way, at no cost. */
  reused_pages: number;
  /** Every page was copied so. */
  cache_hit: boolean;
}

/** The image the model was sent for a page, as it went out (after any turn, flattening, scaling). */
export interface SentImage {
  width: number;
  height: number;
  bytes: number;
  mime_type: string;
}

/** One finished page, without its content. */
export interface PageSummary {
  page_number: number;
  status: PageStatus;
  content_length: number;
  /** Seconds. */
  processing_time: number;
  attempts: number;
  error_class: string | null;
  error_message: string | null;
  /** Of all the page's calls, failed ones included; null when none reported a count (or none was made). */
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** Some of the page's tokens are an estimate (see Usage.estimated). */
  tokens_estimated: boolean;
  /** What was done to the page's image and to the model's reply on their way ([] when nothing was). */
  warnings: PageWarning[];
  /** What the model was sent; null when nothing was (a blank or unreadable page). */
  sent_image: SentImage | null;
  /** Copied from an earlier task's same page (no call, no cost; its tokens are null). */
  reused: boolean;
}

export interface PageWithContent extends PageSummary {
  /** Markdown; null for a failed page. */
  content: string | null;
}

/** GET /api/tasks/{id} `data`, and the WebSocket's `task_status_response.task_info`. */
export interface TaskDetails extends TaskSummary { page_results: PageSummary[] }

/** GET /api/tasks/{id}/result `data`. */
export interface TaskResult {
  task_id: string;
  status: TaskStatus;
  progress: number;
  created_at: string;
  completed_at: string | null;
  error_message: string | null;
  file_size_mb: string;
  /** Every page's Markdown in page order; "" until the task is completed or partial. */
  content: string;
  /** Each page of a finished PDF; [] for images. */
  page_results: PageWithContent[];
  usage: Usage;
  /** As on the task (TaskSummary.warnings). */
  warnings: TaskWarning[];
  /** As on the task (TaskSummary.options, reused_pages, cache_hit). */
  options: TaskOptions;
  reused_pages: number;
  cache_hit: boolean;
}

/** GET /api/models: the models a task's `model` option may name (MODELS), the default (MODEL) first. */
export interface Models { status: 'success'; default: string; models: string[] }

/** GET /api/tasks: newest first. */
export interface TaskList {
  status: 'success';
  data: TaskSummary[];
  pagination: { limit: number; offset: number; total: number };
}

/** GET /api/tasks/{id}/progress `detailed_progress`. */
export interface DetailedProgress {
  total_pages: number;
  processed_pages: number;
  failed_pages: number;
  progress_percentage: number;
  /** Pages per minute in the current run. */
  processing_rate: number;
  /** Seconds; null while the rate is unknown, 0 once finished. */
  estimated_time_remaining: number | null;
}

/** One batch of pages in the `batches` views. */
export interface BatchView {
  id: string;
  task_id: string;
  batch_number: number;
  status: BatchStatus;
  page_start: number;
  page_end: number;
  pages_count: number;
  processed_pages: number;
  failed_pages: number;
  /** Seconds. */
  processing_time: number;
}

/** Where to follow a submitted task: URLs with the prefix the client used. */
export interface TaskEndpoints { status: string; result: string; cancel: string; websocket: string }

/** POST /api/async/image and /api/async/pdf. */
export interface AsyncSubmitted {
  status: 'success';
  task_id: string;
  message: string;
  /** PDFs and multi-page TIFFs only. */
  total_pages?: number;
  /** PDFs and multi-page TIFFs only. */
  file_size_mb?: string;
  /** Seconds: a rough guess before any page is done. */
  estimated_time: number;
  endpoints: TaskEndpoints;
  /** A repeat of an earlier submit with the same Idempotency-Key: this is the task the first made. */
  idempotent_replay?: true;
}

/**
 * GET /api/tasks/{id}/pages/{n}/image: the page as the model saw it, `width` pixels across (a PDF
 * page is drawn at that width, an image is never enlarged), WebP unless PNG is asked for.
 */
export const PAGE_IMAGE_WIDTH = { min: 64, max: 2000, default: 1000 } as const;
export const PAGE_IMAGE_FORMATS = ['webp', 'png'] as const;
export type PageImageFormat = (typeof PAGE_IMAGE_FORMATS)[number];
