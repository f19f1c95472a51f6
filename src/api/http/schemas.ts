/**
 * Request schemas: the routes validate their input with these, and the OpenAPI document
 * (openapi/document.ts) is generated from the same objects, so the two cannot drift apart.
 * Error codes and messages stay with the routes; the schemas carry the messages clients of the old
 * service know (docs/compatibility.md, "Limits and their messages") where zod produces them.
 */
import { z } from 'zod';
import { formatPageRanges, parsePageRanges } from '../../tasks/page-ranges.js';
import { FINAL_WEBHOOK_EVENTS, IMAGE_FORMATS, MAX_PROMPT_CHARS, PAGE_IMAGE_FORMATS, PAGE_IMAGE_WIDTH, TASK_DPI, TASK_STATUSES, WEBHOOK_EVENTS, type TaskOptions } from '../../contract/index.js';
import { parseWebhookEvents } from '../../webhooks/settings.js';
import { MAX_WEBHOOK_URL_CHARS, webhookUrlProblem } from '../../webhooks/url.js';

export const MAX_BATCH_STATUS_IDS = 50;
export const MAX_BATCH_FILES = 20;
/** Multipart field of the single-file submit routes, and of the batch route (repeated). */
export const FILE_FIELD = 'file';
export const BATCH_FIELD = 'files';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** findTask checks it: a malformed id names no task and is answered 404, like an unknown one. */
export const taskId = z.string().regex(UUID).meta({ description: 'Task id (a UUID)', format: 'uuid', example: '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b' });
export const taskParams = z.object({ id: taskId });

export const PAGE_NUMBER_MESSAGE = '页码必须大于0';
export const pageNumber = z.coerce.number({ message: PAGE_NUMBER_MESSAGE }).int(PAGE_NUMBER_MESSAGE).min(1, PAGE_NUMBER_MESSAGE)
  .meta({ description: 'Page number, from 1', example: 1 });
export const pageParams = z.object({ id: taskId, n: pageNumber });

const { min: MIN_WIDTH, max: MAX_WIDTH } = PAGE_IMAGE_WIDTH;
const WIDTH_MESSAGE = `width must be a whole number of pixels from ${MIN_WIDTH} to ${MAX_WIDTH}`;
export const pageImageQuery = z.object({
  width: z.coerce.number({ message: WIDTH_MESSAGE }).int(WIDTH_MESSAGE).min(MIN_WIDTH, WIDTH_MESSAGE).max(MAX_WIDTH, WIDTH_MESSAGE).default(PAGE_IMAGE_WIDTH.default)
    .meta({ description: 'Width in pixels (a PDF page is drawn at it; an image is scaled down to it, never up)' }),
  format: z.enum(PAGE_IMAGE_FORMATS, { message: `format must be one of ${PAGE_IMAGE_FORMATS.join(', ')}` }).default('webp')
    .meta({ description: 'Image format' }),
});

export const listQuery = z.object({
  status: z.enum(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` }).optional()
    .meta({ description: 'Only tasks with this status' }),
  limit: z.coerce.number({ message: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(1000, 'limit must be at most 1000').default(100)
    .meta({ description: 'Tasks per page, newest first' }),
  offset: z.coerce.number({ message: 'offset must be a number' }).int('offset must be a whole number').min(0, 'offset must not be negative').default(0)
    .meta({ description: 'Tasks to skip' }),
});

export const EXPORT_FORMATS = ['json', 'txt', 'md', 'html', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const exportQuery = z.object({
  format: z.enum(EXPORT_FORMATS).default('json').meta({ description: 'json: the result with task details; txt: the Markdown as text; md: the Markdown under a heading; html: one self-contained page (math rendered, fonts inside, no script), named after the uploaded file; pdf: the original pages with the recognised text as an invisible, searchable layer' }),
});

export const batchStatusBody = z.object({
  // Any value is accepted per entry: an id that is not a known task's comes back as `not_found`.
  task_ids: z.array(z.unknown().meta({ override: { type: 'string', format: 'uuid' } })).min(1).max(MAX_BATCH_STATUS_IDS)
    .meta({ description: `Up to ${MAX_BATCH_STATUS_IDS} task ids; unknown and malformed ones are answered as not_found` }),
});

const binary = (description: string) => z.string().meta({ override: { type: 'string', format: 'binary' }, description });

/**
 * A task's options (contract TaskOptions), as multipart fields beside the file or query parameters:
 * strings, parsed here. An empty field is as good as none. `models`: MODELS, the allowlist.
 */
export function taskOptionsFields(models: readonly string[]) {
  const unset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
  return z.object({
    pages: z.preprocess(unset, z.string().transform((spec, ctx) => {
      try {
        return formatPageRanges(parsePageRanges(spec));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }).optional())
      .meta({ description: 'Only these pages, 1-based ranges such as 1-3,5,10-12 (overlaps merged): only they are rendered, sent, counted, billed and exported; default all', example: '1-3,5' }),
    model: z.preprocess(unset, z.enum(models as [string, ...string[]], { message: `expected one of ${models.join(', ')}` }).optional())
      .meta({ description: `The model to read this task's pages with: one of MODELS (here ${models.join(', ')}); default MODEL` }),
    prompt: z.preprocess(unset, z.string().max(MAX_PROMPT_CHARS, `expected at most ${MAX_PROMPT_CHARS} characters`)
      // eslint-disable-next-line no-control-regex
      .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), 'expected plain text (no control characters but line breaks and tabs)').optional())
      .meta({ description: `Instructions added to the system prompt for this task's pages, e.g. "tables as HTML" (plain text, at most ${MAX_PROMPT_CHARS} characters)` }),
    dpi: z.preprocess(unset, z.coerce.number({ message: 'expected a number' }).int('expected a whole number')
      .min(TASK_DPI.min, `expected ${TASK_DPI.min} to ${TASK_DPI.max}`).max(TASK_DPI.max, `expected ${TASK_DPI.min} to ${TASK_DPI.max}`).optional())
      .meta({ description: `Resolution PDF pages are rendered at (${TASK_DPI.min}–${TASK_DPI.max}); default PDF_DPI` }),
    disable_cache: z.preprocess(unset, z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .transform((v) => (v === 'true' || v === '1' ? (true as const) : undefined)).optional())
      .meta({ description: 'true: call the model for every page, even one an earlier task read with the same file, page, model, prompt and rendering (whose result is otherwise copied, at no cost)' }),
    image_format: z.preprocess(unset, z.enum(IMAGE_FORMATS, { message: `expected one of ${IMAGE_FORMATS.join(', ')}` }).optional())
      .meta({ description: 'How page images are sent: auto (the smaller of PNG and JPEG), png, jpeg or webp; default IMAGE_FORMAT' }),
    webhook_url: z.preprocess(unset, z.string().superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional())
      .meta({
        description: `Where this task's events are posted, signed per Standard Webhooks with the server's WEBHOOK_SECRET (http or https, at most ${MAX_WEBHOOK_URL_CHARS} characters; `
          + 'a host that resolves to a loopback, private or link-local address is refused unless the server sets WEBHOOK_ALLOW_PRIVATE)',
        example: 'https://example.com/ocr-events',
      }),
    webhook_events: z.preprocess(unset, z.string().transform((list, ctx) => {
      try {
        return parseWebhookEvents(list);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }).optional())
      .meta({ description: `Which events go to webhook_url, comma-separated: some of ${WEBHOOK_EVENTS.join(', ')}; default the final ones (${FINAL_WEBHOOK_EVENTS.join(', ')})`, example: 'task.completed,task.failed,task.progress' }),
  }) satisfies z.ZodType<TaskOptions, unknown>;
}

/** Multipart body of a single-file submit route (not parsed by zod: upload.ts streams it; the options are checked with taskOptionsFields). */
export const uploadForm = (description: string, models: readonly string[]) => taskOptionsFields(models).extend({ [FILE_FIELD]: binary(description) });
/** The Idempotency-Key header of the submit routes (idempotency.ts). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;
export const idempotencyHeader = z.object({
  'Idempotency-Key': z.string().regex(IDEMPOTENCY_KEY).optional().meta({
    description: 'Makes a retried submit safe: within 24 hours, the same key with the same file(s), options and route answers as the first request did (`idempotent_replay: true`) instead of making more tasks, also when both arrive at once; the same key with a different request is a 422.',
  }),
});

export const batchUploadForm = (description: string, models: readonly string[]) => taskOptionsFields(models).extend({
  [BATCH_FIELD]: z.array(binary('One image or PDF')).min(1).max(MAX_BATCH_FILES).meta({ description }),
});

/** The docs page's files: /docs/assets/{version}/{file}, where a new version means new URLs (so they can be cached for good). */
export const docsAssetParams = z.object({
  version: z.string().meta({ description: 'Changes with every change of the files' }),
  file: z.string().meta({ example: 'swagger-ui-bundle.js' }),
});
