/**
 * One entry per route the API serves, with the request schemas the routes validate with
 * (../schemas.ts) and the response shapes (./responses.ts). Paths are written as the Koa routers
 * register them; document.ts adds the `/{password}` prefix and the Bearer variants.
 * test/e2e/openapi.test.ts fails when a router gains a route that is not listed here.
 */
import type { z } from 'zod';
import { IMAGE_MAX_PIXELS } from '../http/image-check.js';
import type { Config } from '../../config.js';
import { EXPORT_CONTENT_TYPES } from '../http/routes/export.js';
import { HTML_EXPORT_CSP } from '../../export/html.js';
import {
  batchStatusBody, batchUploadForm, docsAssetParams, exportQuery, idempotencyHeader, listQuery, pageImageQuery, MAX_BATCH_FILES, MAX_BATCH_STATUS_IDS, pageParams, taskParams, uploadForm,
} from '../http/schemas.js';
import * as r from './responses.js';
import { MCP_BODY_MB } from '../http/routes/mcp.js';
import { azureOperations } from './azure.js';

export type Method = 'get' | 'post' | 'delete';

export interface Operation {
  method: Method;
  /** As registered in the Koa router, e.g. /api/tasks/:id */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Public routes need no password (health and docs). */
  public?: boolean;
  /** An Azure-compatible route: its errors are Azure's (listed in `other`), and it is also served unprefixed with a key. */
  azure?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: { contentType: string; schema: z.ZodType; /** Other types the same body may come as. */ alternatives?: Record<string, z.ZodType> };
  /** The success answer; `content` instead of `schema` for answers that are not (only) JSON. */
  ok: { status?: number; description: string; schema?: z.ZodType; content?: Record<string, z.ZodType>; headers?: Record<string, string> };
  /** Other answers that are not `{detail, code}` errors. */
  other?: Record<number, { description: string; schema?: z.ZodType }>;
  /** Error codes by status, answered as `{detail, code}`. */
  errors?: Partial<Record<400 | 404 | 409 | 413 | 422 | 503, string[]>>;
}

/**
 * Routes that are not API and stay out of the document: the web page (HTML) and its static files.
 * Everything else a router serves must be in listOperations (the test checks both ways).
 */
export const PAGE_ROUTES: ReadonlySet<string> = new Set(['GET /', 'GET /main', 'GET /static/:file']);

const MB = 1024 * 1024;
const TASKS = 'Tasks';
const SUBMIT = 'Submit';
const CONTROL = 'Control';
const UPLOAD_ERRORS = {
  400: ['invalid_multipart', 'missing_file', 'empty_file', 'file_too_large', 'unsupported_file_type', 'upload_aborted', 'invalid_option', 'invalid_idempotency_key'],
  409: ['idempotency_key_in_use'],
  422: ['idempotency_key_reused'],
  503: ['temporal_unavailable'],
};
const PDF_ERRORS = { ...UPLOAD_ERRORS, 400: [...UPLOAD_ERRORS[400], 'pdf_corrupt', 'pdf_encrypted', 'pdf_no_pages', 'pdf_too_many_pages'] };
const IMAGE_ERRORS = { ...UPLOAD_ERRORS, 400: [...UPLOAD_ERRORS[400], 'image_corrupt', 'image_too_large', 'image_too_many_pages'] };
const TASK_ERRORS = { 404: ['task_not_found'] };

export function listOperations(config: Config): Operation[] {
  const { maxImageBytes, maxPdfBytes, maxPdfPages } = config.limits;
  const imageLimits = `PNG, JPEG, WebP, GIF, BMP or TIFF (recognised by their bytes), up to ${maxImageBytes / MB} MB and ${IMAGE_MAX_PIXELS / 1e6} million pixels; an image whose header cannot be read is refused. A multi-page TIFF is one page a frame, up to ${maxPdfPages}.`;
  const pdfLimits = `A PDF of up to ${maxPdfBytes / MB} MB and ${maxPdfPages} pages; corrupt, password-protected and empty PDFs are refused.`;
  const imageForm = { contentType: 'multipart/form-data' as const, schema: uploadForm(`The image. ${imageLimits}`, config.vision.models) };
  const pdfForm = { contentType: 'multipart/form-data' as const, schema: uploadForm(`The PDF. ${pdfLimits}`, config.vision.models) };

  const submit = (path: string, kind: 'image' | 'pdf', operationId: string, summary: string, schema: z.ZodType, description?: string): Operation => ({
    method: 'post', path, operationId, tag: SUBMIT, summary, ...(description ? { description } : {}),
    headers: idempotencyHeader,
    body: kind === 'image' ? imageForm : pdfForm,
    ok: { description: 'The task was created and queued (or, for a repeat with the same Idempotency-Key, the task the first request made)', schema },
    errors: kind === 'image' ? IMAGE_ERRORS : PDF_ERRORS,
  });

  const health = {
    method: 'get', tag: 'System', public: true, ok: { description: 'Both answered', schema: r.Healthy },
    other: { 503: { description: 'Postgres or Temporal did not answer', schema: r.Unhealthy } },
  } as const;

  return [
    { ...health, path: '/health', operationId: 'health', summary: 'Are Postgres and Temporal reachable?' },
    { ...health, path: '/healthz', operationId: 'healthz', summary: 'The same as /health' },
    { method: 'get', path: '/openapi.json', operationId: 'openapi', tag: 'System', summary: 'This document', public: true, ok: { description: 'OpenAPI 3.1', content: { 'application/json': r.OpenApiJson } } },
    { method: 'get', path: '/docs', operationId: 'docs', tag: 'System', summary: 'Interactive documentation of this document', public: true, ok: { description: 'An HTML page', content: { 'text/html': r.Text } } },
    {
      method: 'get', path: '/docs/assets/:version/:file', operationId: 'docsAsset', tag: 'System', summary: "The docs page's scripts and styles (cached for a year: the version is in the path)", public: true,
      params: docsAssetParams, ok: { description: 'The file', content: { 'text/javascript': r.Text, 'text/css': r.Text, 'image/png': r.Binary } }, errors: { 404: ['not_found'] },
    },

    submit('/api/async/image', 'image', 'submitImage', 'Submit an image', r.AsyncSubmitted.image),
    submit('/api/async/pdf', 'pdf', 'submitPdf', 'Submit a PDF', r.AsyncSubmitted.pdf),
    {
      method: 'post', path: '/api/async/batch', operationId: 'submitBatch', tag: SUBMIT, summary: `Submit up to ${MAX_BATCH_FILES} images and PDFs`,
      description: 'Each file is routed by its bytes. Files that cannot be submitted are listed in `failed_files` with the reason; the others become tasks.',
      headers: idempotencyHeader,
      body: { contentType: 'multipart/form-data', schema: batchUploadForm(`Repeat the field for each file. Images: ${imageLimits} PDFs: ${pdfLimits}`, config.vision.models) },
      ok: { description: 'The files that became tasks and the ones refused (or, for a repeat with the same Idempotency-Key, what the first request answered)', schema: r.BatchSubmitted },
      errors: {
        400: ['invalid_multipart', 'missing_file', 'too_many_files', 'upload_aborted', 'invalid_option', 'invalid_idempotency_key'],
        409: ['idempotency_key_in_use'], 422: ['idempotency_key_reused'], 503: ['temporal_unavailable'],
      },
    },
    submit('/process/image', 'image', 'processImage', "Submit an image (the old web page's route)", r.ProcessSubmitted.image),
    submit('/process/pdf', 'pdf', 'processPdf', "Submit a PDF (the old web page's route)", r.ProcessSubmitted.pdf),
    submit('/api/tasks/image', 'image', 'submitImageLegacy', 'Submit an image (an older route)', r.LegacySubmitted, 'Bad input is a 400 (the old service answered 500).'),
    submit('/api/tasks/pdf', 'pdf', 'submitPdfLegacy', 'Submit a PDF (an older route)', r.LegacySubmitted, 'Bad input is a 400 (the old service answered 500).'),

    { method: 'get', path: '/api/tasks', operationId: 'listTasks', tag: TASKS, summary: 'List tasks, newest first', query: listQuery, ok: { description: 'One page of tasks', schema: r.TaskList }, errors: { 400: ['invalid_query'] } },
    {
      method: 'post', path: '/api/tasks/batch/status', operationId: 'batchStatus', tag: TASKS, summary: `The status of up to ${MAX_BATCH_STATUS_IDS} tasks`,
      body: { contentType: 'application/json', schema: batchStatusBody }, ok: { description: 'One entry per id, in order', schema: r.BatchStatus },
      errors: { 400: ['invalid_json', 'missing_task_ids', 'too_many_task_ids'], 413: ['body_too_large'] },
    },
    { method: 'get', path: '/api/tasks/:id', operationId: 'getTask', tag: TASKS, summary: 'A task with its page summaries', params: taskParams, ok: { description: 'The task', schema: r.TaskDetails }, errors: TASK_ERRORS },
    { method: 'get', path: '/api/tasks/:id/result', operationId: 'getTaskResult', tag: TASKS, summary: "A task's Markdown", params: taskParams, ok: { description: 'The result', schema: r.TaskResultAnswer }, errors: TASK_ERRORS },
    { method: 'get', path: '/api/tasks/:id/pages', operationId: 'getTaskPages', tag: TASKS, summary: 'Every finished page with its content, and statistics', params: taskParams, ok: { description: 'The pages', schema: r.TaskPages }, errors: TASK_ERRORS },
    {
      method: 'get', path: '/api/tasks/:id/pages/:n', operationId: 'getTaskPage', tag: TASKS, summary: 'One page', params: pageParams, ok: { description: 'The page', schema: r.TaskPage },
      errors: { 400: ['invalid_page_number'], 404: ['task_not_found', 'page_out_of_range', 'page_not_ready'] },
    },
    {
      method: 'get', path: '/api/tasks/:id/pages/:n/image', operationId: 'getPageImage', tag: TASKS, summary: 'The page as the model saw it, as an image',
      description: 'Drawn on demand from the stored file (turned upright and flattened as for the model) at the asked width, and kept on disk '
        + '(PAGE_IMAGE_CACHE_MB). Also while the task runs, and for an image task (page 1; a TIFF has a page per frame). '
        + 'The answer never changes: it carries an `ETag` (a matching `If-None-Match` is answered 304) and `Cache-Control: private, max-age=31536000, immutable`.',
      params: pageParams, query: pageImageQuery,
      ok: { description: 'The image', content: { 'image/webp': r.Binary, 'image/png': r.Binary }, headers: { ETag: 'The image\'s version', 'Cache-Control': 'private, max-age=31536000, immutable' } },
      other: { 304: { description: 'Not modified (If-None-Match matched the ETag): no body' } },
      errors: { 400: ['invalid_page_number', 'invalid_query'], 404: ['task_not_found', 'page_out_of_range', 'file_not_found'], 422: ['unreadable_page'] },
    },
    {
      method: 'get', path: '/api/tasks/:id/progress', operationId: 'getTaskProgress', tag: TASKS, summary: 'Pages done and failed, pages per minute, time left',
      description: '`latest_progress` holds the same figures as `detailed_progress` (the old service always sent null).',
      params: taskParams, ok: { description: 'The progress', schema: r.TaskProgress }, errors: TASK_ERRORS,
    },
    {
      method: 'get', path: '/api/tasks/:id/webhooks', operationId: 'getTaskWebhooks', tag: TASKS, summary: "The task's webhook events and their deliveries",
      description: 'Each event the task raised (oldest first), with one delivery per receiver: attempts, the last status code or error, the next attempt, the outcome.',
      params: taskParams, ok: { description: 'The events', schema: r.TaskWebhooks }, errors: TASK_ERRORS,
    },
    { method: 'get', path: '/api/tasks/:id/batches', operationId: 'getTaskBatches', tag: TASKS, summary: "The task's page batches", params: taskParams, ok: { description: 'The batches', schema: r.TaskBatches }, errors: TASK_ERRORS },
    {
      method: 'get', path: '/api/tasks/:id/export', operationId: 'exportTask', tag: TASKS, summary: 'The result as a download (json, txt, md, html or a searchable pdf)',
      description: 'A partial task exports the pages that succeeded and names the ones that failed. '
        + '`html` is one self-contained page: a section `#page-N` per page (failed ones marked with their error), math rendered with KaTeX (its CSS and fonts inlined when there is math), '
        + `Markdown sanitized as the web page does; it needs no network and runs no script (\`Content-Security-Policy: ${HTML_EXPORT_CSP}\`, also in a \`<meta>\`). `
        + '`pdf` is the original pages (an image task: its frames) with each page\'s text as an invisible layer, as plain text at approximate positions (a vision model gives no word boxes); '
        + 'failed pages have no layer. Made on demand and cached; its `ETag` changes when any page\'s text does (a retry), and a matching `If-None-Match` is a 304.',
      params: taskParams, query: exportQuery,
      ok: {
        description: 'The file, with `Content-Disposition: attachment; filename=task_{id}_result.{format}` (html and pdf: named after the uploaded file, `report.pdf` → `report.html`, `report.searchable.pdf`)',
        content: { [EXPORT_CONTENT_TYPES.json]: r.ExportJson, [EXPORT_CONTENT_TYPES.md]: r.Text, [EXPORT_CONTENT_TYPES.txt]: r.Text, [EXPORT_CONTENT_TYPES.html]: r.Text, [EXPORT_CONTENT_TYPES.pdf]: r.Binary },
        headers: {
          'Content-Disposition': "attachment; filename=task_{id}_result.{format}; html: `attachment; filename=\"report.html\"; filename*=UTF-8''report.html` (RFC 5987: the name in UTF-8, with an ASCII fallback)",
          'Content-Security-Policy': `html only: ${HTML_EXPORT_CSP}`,
          ETag: "pdf only: the export's version",
        },
      },
      other: { 304: { description: 'pdf only: not modified (If-None-Match matched the ETag): no body' } },
      errors: { 400: ['unsupported_format', 'task_not_finished'], 404: ['task_not_found', 'file_not_found'], 422: ['unreadable_file'] },
    },

    {
      method: 'post', path: '/api/tasks/:id/cancel', operationId: 'cancelTask', tag: CONTROL, summary: 'Cancel a pending or processing task',
      description: 'Model calls stop; pages already done are kept. The task becomes `cancelled` once its batches have stopped.',
      params: taskParams, ok: { status: 202, description: 'Cancellation requested', schema: r.Cancelled }, errors: { 404: ['task_not_found'], 409: ['task_not_running'] },
    },
    {
      method: 'post', path: '/api/tasks/:id/retry', operationId: 'retryTask', tag: CONTROL, summary: 'Re-run the failed pages of a partial or failed task',
      params: taskParams, ok: { status: 202, description: 'A new run started', schema: r.Retried }, errors: { 404: ['task_not_found'], 409: ['task_not_retryable'], 503: ['previous_run_active'] },
    },
    {
      method: 'post', path: '/api/tasks/:id/pages/:n/retry', operationId: 'retryPage', tag: CONTROL, summary: 'Re-run one page of a finished task, whatever its result',
      description: 'The page is read afresh by the model with the task\'s options (never copied from an earlier task, CACHE notwithstanding); '
        + 'its previous result is replaced by the new one, a failure too. The task is pending, then processing, until the run records its outcome and counts; '
        + 'WebSocket events and webhooks follow as for any run. The tokens of the previous result stay in the task\'s usage.',
      params: pageParams, ok: { status: 202, description: 'A run for the page started', schema: r.PageRetried },
      errors: { 400: ['invalid_page_number'], 404: ['task_not_found', 'page_out_of_range'], 409: ['task_not_finished'], 503: ['previous_run_active', 'temporal_unavailable'] },
    },
    {
      method: 'get', path: '/api/models', operationId: 'listModels', tag: 'System', summary: "The models a task's `model` option may name (MODELS), and the default (MODEL)",
      ok: { description: 'The allowlist, the default first', schema: r.Models },
    },
    {
      method: 'post', path: '/mcp', operationId: 'mcp', tag: 'System', summary: 'The MCP server for agents (Streamable HTTP, stateless)',
      description: 'JSON-RPC messages of the Model Context Protocol, as an MCP client sends them (the SDK\'s `StreamableHTTPClientTransport` with this URL). '
        + 'Tools: `ocr_file` (the file base64 in `content_base64`, with `file_name`, `pages`, `model`, `prompt`, `wait_seconds`), `get_task`, `get_result` (a `pages` range), `list_tasks`, `cancel_task`; '
        + `resources: \`ocr://tasks/{id}\`. The JSON body is at most ${MCP_BODY_MB} MB. Also \`/mcp\` with \`Authorization: Bearer <PASSWORD>\`.`,
      body: { contentType: 'application/json', schema: r.OpenApiJson },
      ok: { description: 'The JSON-RPC answer, as JSON or as a stream of server-sent events (progress notifications, then the result)', content: { 'application/json': r.OpenApiJson, 'text/event-stream': r.Text } },
      errors: { 400: ['invalid_json'], 413: ['body_too_large'] },
    },
    {
      method: 'get', path: '/api/system/stats', operationId: 'systemStats', tag: 'System', summary: 'Tasks by type and status, Temporal workers, the machine and WebSockets',
      ok: { description: 'The old service\'s shape, with real figures', schema: r.SystemStats },
    },
    {
      method: 'get', path: '/api/system/health', operationId: 'systemHealth', tag: 'System', summary: 'Issues: CPU, memory or disk over 90 %, a page error rate over 10 %, an unreachable dependency',
      ok: { description: '`warning` with up to two issues, `critical` beyond or when Postgres or Temporal is down', schema: r.SystemHealth },
    },
    {
      method: 'get', path: '/api/system/metrics', operationId: 'systemMetrics', tag: 'System', summary: 'Page latency and error figures of the last hour, and this process\'s request and model-call latencies',
      ok: { description: 'The old service\'s shape, with real figures', schema: r.SystemMetrics },
    },
    {
      method: 'get', path: '/metrics', operationId: 'prometheusMetrics', tag: 'System', summary: 'Prometheus metrics of this process',
      description: 'Behind the password (`/{password}/metrics`, or `/metrics` with `Authorization: Bearer`) unless METRICS_PUBLIC is set. A worker process serves the same on its METRICS_PORT.',
      ok: { description: 'Prometheus text exposition', content: { 'text/plain': r.Text } },
    },
    {
      method: 'delete', path: '/api/tasks/:id', operationId: 'deleteTask', tag: CONTROL, summary: 'Delete a task (a running one is cancelled first)',
      params: taskParams, ok: { description: 'Deleted', schema: r.Deleted }, errors: TASK_ERRORS,
    },
    ...azureOperations({ image: maxImageBytes / MB, pdf: maxPdfBytes / MB }),
  ];
}
