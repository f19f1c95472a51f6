/**
 * Response shapes for the OpenAPI document, written in zod so they render like the request schemas.
 * Documentation only: answers are never validated against these at run time (the e2e test checks
 * real answers against them instead).
 */
import { z } from 'zod';
import type * as contract from '../../contract/index.js';
import {
  BATCH_STATUSES, IMAGE_FORMATS, PAGE_STATUSES, PAGE_WARNINGS, TASK_STATUSES, TASK_TYPES, TASK_WARNINGS, WEBHOOK_EVENTS, WEBHOOK_OUTCOMES,
} from '../../contract/index.js';
import { taskId } from '../http/schemas.js';

const int = z.number().int();
const dateTime = z.string().meta({ format: 'date-time' });
const sizeMb = z.string().meta({ description: 'File size in MB, two decimals', example: '3.21' });

export const ErrorBody = z.object({
  detail: z.string().meta({ description: 'What went wrong, for a person (often Chinese, as clients of the old service read it, with an English note)' }),
  code: z.string().meta({ description: 'Stable machine-readable error code' }),
}).meta({ id: 'Error' }) satisfies z.ZodType<contract.ErrorBody>;

export const Usage = z.object({
  model: z.string().nullable().meta({ description: 'MODEL when the task (or its latest retry) started; null before' }),
  prompt_tokens: int.meta({ description: "Sum over every model call of the task's pages, failed and stopped calls included (what the provider bills)" }),
  completion_tokens: int,
  total_tokens: int,
  estimated: z.boolean().meta({ description: 'Some tokens are an estimate: a call stopped before the server reported its usage (a loop cut off as it streamed, a timeout) is counted by the length of what it wrote' }),
  cost: z.number().nullable().meta({ description: 'From MODEL_PRICES (per 1M tokens); null when the model has no price' }),
  currency: z.string().nullable().meta({ description: 'PRICE_CURRENCY; null when cost is null', example: 'USD' }),
  reused_prompt_tokens: int.meta({ description: 'What the pages copied from earlier tasks cost when first read (not in prompt_tokens: they cost nothing now)' }),
  reused_completion_tokens: int,
}).meta({ id: 'Usage', description: 'Tokens of every model call this task made, and their cost' }) satisfies z.ZodType<contract.Usage>;

const ResultSummary = z.object({
  total_pages: int, successful_pages: int, failed_pages: int,
  success_rate: z.string().meta({ example: '87.5%' }),
  processing_time: z.number().meta({ description: 'Seconds from the first start to the outcome' }),
  content_length: int,
  file_size_mb: sizeMb,
}).meta({ id: 'ResultSummary' }) satisfies z.ZodType<contract.ResultSummary>;

/** What each status means to a client: a status added to the contract must be described here. */
const STATUS_MEANINGS: Record<contract.TaskStatus, string> = {
  pending: 'waiting for a worker',
  processing: 'its pages are with the model',
  completed: 'every page has its Markdown',
  partial: 'some pages failed (each listed with its error); the others have their Markdown',
  failed: 'no page could be recognised, or something doomed the whole task (error_code, error_message)',
  cancelled: 'stopped on request; the pages done before are kept',
};
const TaskStatus = z.enum(TASK_STATUSES).meta({
  id: 'TaskStatus',
  description: TASK_STATUSES.map((status) => `\`${status}\`: ${STATUS_MEANINGS[status]}`).join('; '),
});

const TaskOptions = z.object({
  pages: z.string().optional(),
  model: z.string().optional(),
  prompt: z.string().optional(),
  dpi: z.number().int().optional(),
  image_format: z.enum(IMAGE_FORMATS).optional(),
  disable_cache: z.literal(true).optional(),
  webhook_url: z.string().optional(),
  webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).optional(),
}).meta({ description: "What the caller chose for the task when submitting it (the submit routes' fields); {} when nothing: the service's settings apply" }) satisfies z.ZodType<contract.TaskOptions>;
const TaskWarnings = z.array(z.enum(TASK_WARNINGS)).meta({ description: '`pdf_repaired`: the PDF was damaged and mupdf rebuilt it to read it (its pages are those recovered; some may be missing or wrong); [] when nothing was noticed about the file' });

const SentImage = z.object({
  width: int.meta({ description: 'Pixels' }),
  height: int.meta({ description: 'Pixels' }),
  bytes: int,
  mime_type: z.string().meta({ description: 'image/png, image/jpeg, image/webp or image/gif: as IMAGE_FORMAT chose (an upload the model takes as it is keeps its own type)' }),
}).meta({ id: 'SentImage' }) satisfies z.ZodType<contract.SentImage>;

export const Task = z.object({
  id: taskId,
  task_type: z.enum(TASK_TYPES),
  status: TaskStatus,
  queue_status: z.enum(TASK_STATUSES).exclude(['partial']).meta({ description: 'The status as a queue sees it, for clients of the old service: a partial task counts as completed' }),
  file_name: z.string(),
  file_size: int.meta({ description: 'Bytes' }),
  file_size_mb: sizeMb,
  mime_type: z.string(),
  total_pages: int,
  processed_pages: int,
  failed_pages: int,
  progress: z.number().meta({ description: 'Percent, 100 once the task has an outcome' }),
  created_at: dateTime,
  started_at: dateTime.nullable(),
  completed_at: dateTime.nullable(),
  last_updated_at: dateTime,
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  result_summary: ResultSummary.nullable(),
  usage: Usage,
  warnings: TaskWarnings,
  options: TaskOptions,
  reused_pages: int.meta({ description: 'Pages copied from an earlier task that read the same file, page, model, prompt and rendering (no model call, no cost)' }),
  cache_hit: z.boolean().meta({ description: 'Every page was copied so' }),
}).meta({ id: 'Task' }) satisfies z.ZodType<contract.TaskSummary>;

export const Page = z.object({
  page_number: int,
  status: z.enum(PAGE_STATUSES),
  content_length: int,
  processing_time: z.number().meta({ description: 'Seconds' }),
  attempts: int,
  error_class: z.string().nullable(),
  error_message: z.string().nullable(),
  prompt_tokens: int.nullable().meta({ description: "Of all the page's model calls, failed ones included; null when none reported a count (or none was made, as for a blank page)" }),
  completion_tokens: int.nullable(),
  tokens_estimated: z.boolean().meta({ description: "Some of the page's tokens are an estimate (see Usage.estimated)" }),
  warnings: z.array(z.enum(PAGE_WARNINGS)).meta({ description: "What was done to the page's image on its way to the model (orientation_applied, alpha_flattened, downscaled), whether it was blank, the retries a bad answer needed, and the clean-ups applied to the reply (never to the page's own text); [] when nothing was" }),
  sent_image: SentImage.nullable().meta({ description: 'What the model was sent for the page; null when nothing was (a blank or unreadable page, or a page saved before this was recorded)' }),
  reused: z.boolean().meta({ description: "Copied from an earlier task's same page, read the same way (no model call, no cost: its tokens are null)" }),
}).meta({ id: 'Page' }) satisfies z.ZodType<contract.PageSummary>;

export const PageWithContent = Page.extend({ content: z.string().nullable().meta({ description: 'Markdown; null for a failed page' }) })
  .meta({ id: 'PageWithContent' }) satisfies z.ZodType<contract.PageWithContent>;

export const TaskResult = z.object({
  task_id: taskId,
  status: TaskStatus,
  progress: z.number(),
  created_at: dateTime,
  completed_at: dateTime.nullable(),
  error_message: z.string().nullable(),
  file_size_mb: sizeMb,
  content: z.string().meta({ description: 'The Markdown of every page in order; "" until the task is completed or partial' }),
  page_results: z.array(PageWithContent).meta({ description: 'Each page of a finished PDF; [] for images' }),
  usage: Usage,
  warnings: TaskWarnings,
  options: TaskOptions,
  reused_pages: int.meta({ description: 'Pages copied from an earlier task that read the same file, page, model, prompt and rendering (no model call, no cost)' }),
  cache_hit: z.boolean().meta({ description: 'Every page was copied so' }),
}).meta({ id: 'TaskResult' }) satisfies z.ZodType<contract.TaskResult>;

export const PageStatistics = z.object({
  total_pages: int, completed_pages: int, failed_pages: int, pending_pages: int, processing_pages: int,
  average_processing_time: z.number().meta({ description: 'Seconds per page' }),
  total_content_length: int,
  success_rate: z.number().meta({ description: 'Percent of finished pages that succeeded' }),
}).meta({ id: 'PageStatistics' });

export const DetailedProgress = z.object({
  total_pages: int, processed_pages: int, failed_pages: int,
  progress_percentage: z.number(),
  processing_rate: z.number().meta({ description: 'Pages per minute since the task started' }),
  estimated_time_remaining: int.nullable().meta({ description: 'Seconds; null while the rate is unknown' }),
}).meta({ id: 'DetailedProgress' }) satisfies z.ZodType<contract.DetailedProgress>;

export const Batch = z.object({
  id: z.string(), task_id: taskId, batch_number: int,
  status: z.enum(BATCH_STATUSES),
  page_start: int, page_end: int, pages_count: int, processed_pages: int, failed_pages: int,
  processing_time: z.number().meta({ description: 'Seconds' }),
}).meta({ id: 'Batch' }) satisfies z.ZodType<contract.BatchView>;

const success = <T extends z.ZodType>(data: T) => z.object({ status: z.literal('success'), data });

export const TaskList = z.object({
  status: z.literal('success'),
  data: z.array(Task),
  pagination: z.object({ limit: int, offset: int, total: int }),
}).meta({ id: 'TaskList' }) satisfies z.ZodType<contract.TaskList>;

export const TaskDetails = success(Task.extend({ page_results: z.array(Page) }) satisfies z.ZodType<contract.TaskDetails>);
export const TaskResultAnswer = success(TaskResult);
export const TaskPages = success(z.object({ task_id: taskId, pages: z.array(PageWithContent), total_pages: int, page_statistics: PageStatistics }));
export const TaskPage = success(z.object({ task_id: taskId, page_number: int, page_result: PageWithContent }));
export const TaskProgress = success(z.object({
  task_info: Task,
  // The same figures as detailed_progress (the old service always sent null).
  latest_progress: DetailedProgress,
  batches: z.array(Batch),
  page_statistics: PageStatistics,
  detailed_progress: DetailedProgress,
}));
export const TaskBatches = success(z.object({ task_id: taskId, batches: z.array(Batch), total_batches: int }));

export const BatchStatus = z.object({
  status: z.literal('success'),
  tasks: z.array(z.union([
    z.object({ task_id: taskId, status: TaskStatus, progress: z.number(), created_at: dateTime, completed_at: dateTime.nullable(), error_message: z.string().nullable() }),
    z.object({ task_id: z.string(), status: z.literal('not_found'), error_message: z.literal('任务不存在') }),
  ])),
  summary: z.object({ total_tasks: int, status_counts: z.record(z.string(), int) }),
});

export const ExportJson = z.object({
  task_id: taskId,
  export_time: dateTime,
  task_info: TaskResult,
  content: z.string(),
  failed_pages: z.array(z.object({ page_number: int, error_message: z.string().nullable() })),
});

const submittedPdf = { total_pages: int, file_size_mb: sizeMb };
/** An image of several pages (a multi-page TIFF) answers as a PDF does. */
const submittedPages = { total_pages: int.optional().meta({ description: 'PDFs and multi-page TIFFs only' }), file_size_mb: sizeMb.optional() };
const replay = { idempotent_replay: z.literal(true).optional().meta({ description: 'Only in the answer to a repeat with the same Idempotency-Key: the task is the one the first request made' }) };
const estimate = int.meta({ description: 'Seconds (a rough guess, as the old service gave it: 30 per image, 3 per PDF page)' });

const AsyncImageSubmitted = z.object({
  status: z.literal('success'),
  task_id: taskId,
  message: z.string(),
  estimated_time: estimate,
  endpoints: z.object({ status: z.string(), result: z.string(), cancel: z.string(), websocket: z.string() }).meta({ description: 'URLs with the prefix the client used' }),
  ...replay,
});
export const AsyncSubmitted = {
  image: AsyncImageSubmitted.extend(submittedPages) satisfies z.ZodType<contract.AsyncSubmitted>,
  pdf: AsyncImageSubmitted.extend(submittedPdf) satisfies z.ZodType<contract.AsyncSubmitted>,
};

const ProcessImageSubmitted = z.object({
  status: z.literal('accepted'),
  task_id: taskId,
  message: z.string(),
  estimated_time: estimate,
  websocket_url: z.string(),
  status_url: z.string(),
  result_url: z.string(),
  ...replay,
});
export const ProcessSubmitted = { image: ProcessImageSubmitted.extend(submittedPages), pdf: ProcessImageSubmitted.extend(submittedPdf) };

export const Models = z.object({ status: z.literal('success'), default: z.string(), models: z.array(z.string()) }) satisfies z.ZodType<contract.Models>;

export const LegacySubmitted = z.object({ status: z.literal('success'), task_id: taskId, message: z.literal('任务提交成功'), ...replay });

export const BatchSubmitted = z.object({
  status: z.literal('success'),
  message: z.string(),
  submitted_tasks: z.array(z.object({ task_id: taskId, filename: z.string(), type: z.enum(['image', 'pdf']), total_pages: int.optional().meta({ description: 'PDFs and multi-page TIFFs only' }), estimated_time: estimate })),
  failed_files: z.array(z.object({ filename: z.string(), error: z.string().meta({ description: 'The per-file message clients of the old service know' }), code: z.string() })),
  total_tasks: int,
  total_estimated_time: int,
  endpoints: z.object({ batch_status: z.string(), websocket: z.string() }),
  ...replay,
});

export const Cancelled = z.object({ status: z.literal('success'), task_id: taskId, message: z.string() });
export const Retried = Cancelled.extend({ retried_pages: int });
export const PageRetried = Cancelled.extend({ page_number: int });
const WebhookDelivery = z.object({
  target: z.enum(['task', 'service']).meta({ description: "`task`: the task's webhook_url; `service`: the server's WEBHOOK_URL" }),
  url: z.string().meta({ description: "The receiver's URL without its query string" }),
  attempts: int,
  last_attempt_at: dateTime.nullable(),
  last_status_code: int.nullable().meta({ description: "The receiver's last HTTP status; null when it never answered" }),
  last_error: z.string().nullable().meta({ description: 'Why the last attempt did not deliver' }),
  next_attempt_at: dateTime.nullable().meta({ description: 'When the next attempt is due, while pending' }),
  outcome: z.enum(WEBHOOK_OUTCOMES).meta({ description: '`pending`: still trying; `delivered`: a 2xx; `failed`: refused (a 4xx but 408 and 429, a redirect, a private address) or out of time (WEBHOOK_RETRY_HOURS)' }),
  delivered_at: dateTime.nullable(),
}) satisfies z.ZodType<contract.WebhookDeliveryView>;
export const TaskWebhooks = z.object({
  status: z.literal('success'),
  task_id: taskId,
  events: z.array(z.object({
    id: z.string().meta({ description: 'The webhook-id header, the same on every attempt', example: 'msg_5f0c3b1de0a44e5c9d6a1f2b3c4d5e6f' }),
    type: z.enum(WEBHOOK_EVENTS),
    occurred_at: dateTime,
    deliveries: z.array(WebhookDelivery),
  })),
}).meta({ id: 'TaskWebhooks' }) satisfies z.ZodType<contract.TaskWebhooks>;

export const Deleted = z.object({ status: z.literal('success'), task_id: taskId, message: z.literal('任务已删除') });

const checks = z.record(z.string(), z.string()).meta({ description: 'Per dependency (database, temporal): "ok" or why not' });
export const Healthy = z.object({ status: z.literal('healthy'), timestamp: dateTime, checks });
export const Unhealthy = z.object({ status: z.literal('unhealthy'), timestamp: dateTime, reason: z.string(), checks });

const percentValue = z.number().meta({ description: 'Percent, one decimal' });
const SystemResources = z.object({
  cpu_percent: percentValue.meta({ description: 'One-minute load average over the cores, in percent' }),
  cpu_count: int,
  load_average: z.array(z.number()),
  memory: z.object({ total_bytes: int, used_bytes: int, percent: percentValue, process_rss_bytes: int }),
  disk: z.object({ path: z.string(), total_bytes: int, free_bytes: int, percent: percentValue }).nullable().meta({ description: 'The data directory\'s file system; null when it does not exist here' }),
  uptime_seconds: int,
}).meta({ id: 'SystemResources' });
const Queue = z.object({
  pending_count: int, processing_count: int, completed_count: int, failed_count: int, cancelled_count: int, queue_size: int,
  total_added: int, total_processed: int, total_failed: int, uptime_seconds: int,
  processing_rate: z.number().meta({ description: 'Tasks finished per minute over the last five minutes' }),
}).meta({ id: 'Queue' });
const Workers = z.object({
  total_workers: int.meta({ description: 'Temporal workers polling the task queue' }),
  min_workers: int, max_workers: z.null(), running: z.boolean(),
  workers: z.record(z.string(), z.object({ last_access_time: dateTime.nullable(), rate_per_second: z.number() })),
  summary: z.object({ known: z.boolean().meta({ description: 'false when Temporal could not be asked' }), model_calls_per_worker: int }),
}).meta({ id: 'Workers' });
const WebSocketStats = z.object({
  active_connections: int, total_task_subscriptions: int, unique_subscribed_tasks: int,
  heartbeat_interval: z.number(), connection_timeout: z.number(), running: z.boolean(), timestamp: dateTime,
}).meta({ id: 'WebSocketStats' });
const RecentPages = z.object({
  completed: int, failed: int, pages_per_minute: z.number(), p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(),
  retried: int, failed_by_class: z.record(z.string(), int),
});
const quantiles = z.object({ count: z.number(), p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
  .meta({ description: 'Seconds, as histogram bucket bounds, since this process started' });

export const SystemStats = success(z.object({
  task_system: z.object({
    queues: z.object({ image: Queue, pdf: Queue }),
    workers: z.object({ image: Workers, pdf: Workers }),
    system_health: SystemResources,
    system: z.object({ initialized: z.boolean(), timestamp: dateTime }),
  }),
  websocket: WebSocketStats,
}));
export const SystemHealth = success(z.object({
  overall_status: z.enum(['healthy', 'warning', 'critical']),
  timestamp: dateTime,
  issues: z.array(z.string()),
  checks,
  system_health: SystemResources,
  pages_last_hour: RecentPages,
}));
export const SystemMetrics = success(z.object({
  timestamp: dateTime,
  window_minutes: int,
  system_resources: SystemResources,
  timeout_stats: z.object({ api_timeout_seconds: z.number(), pages_failed_by_timeout: int }),
  error_stats: z.object({ pages_completed: int, pages_failed: int, error_rate: z.number(), failed_by_class: z.record(z.string(), int) }),
  recovery_stats: z.object({ pages_recovered_by_retry: int, max_attempts_per_page: int }),
  page_latency_seconds: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(), pages_per_minute: z.number() }),
  model_latency_seconds: quantiles,
  api_performance: z.object({ request_duration_seconds: quantiles }),
}));

export const Text = z.string();
export const Binary = z.string().meta({ override: { type: 'string', format: 'binary' } });
export const OpenApiJson = z.record(z.string(), z.unknown());
