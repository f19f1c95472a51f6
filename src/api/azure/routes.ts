/**
 * An Azure Document Intelligence–compatible read API (the `prebuilt-read` model), so that
 * paperless-ngx and every Azure SDK can use this service as their OCR engine: analyze makes an
 * ordinary task (visible everywhere else too) and answers 202 with `Operation-Location`; the
 * operation is the task as Azure's analyze result (result-view.ts); `/pdf` is the task's searchable
 * PDF. The result id is the task id. Also under the older /formrecognizer root (api-version
 * 2022-08-31 and 2023-07-31). Errors are Azure's (errors.ts, mounted in app.ts before the password gate).
 */
import path from 'node:path';
import Router, { type RouterContext } from '@koa/router';
import type { ApiDeps } from '../deps.js';
import type { AuthState } from '../http/auth.js';
import { acceptImage, acceptPdf, IMAGE_TYPES, type AcceptedFile } from '../http/accept-file.js';
import { findTask } from '../http/find-task.js';
import { parseTaskOptions } from '../http/task-options.js';
import type { Upload } from '../http/upload.js';
import { isFinalStatus } from '../../contract/index.js';
import { markdownToPlainText } from '../../export/plain-text.js';
import { listPages } from '../../store/pages.js';
import type { TaskRow } from '../../store/tasks.js';
import { taskPageNumbers } from '../../tasks/page-ranges.js';
import { sendSearchablePdf } from '../http/send-pdf.js';
import { azureError } from './errors.js';
import { analyzeRequestOf, apiVersionOf, METADATA_KEY, parseAnalyzeQuery, receiveDocument, SURFACES, type AnalyzeRequest, type Surface } from './request.js';
import { analyzeResultOf, OPERATION_STATUS, operationError, type ResultPage } from './result-view.js';

/** The only model served: a vision model reads any page, so the layout and document models have no meaning here. */
export const MODEL_ID = 'prebuilt-read';
/** Seconds a client should wait between polls: a page takes the model a few. */
const RETRY_AFTER_SECONDS = '1';
const MB = 1024 * 1024;
const POINTS_PER_INCH = 72;

/** `/documentintelligence/documentModels/prebuilt-read:analyze` (the colon escaped for the router's path syntax). */
export const analyzePath = (surface: Surface) => `${surface.root}/documentModels/${MODEL_ID}\\:analyze`;
export const resultPath = (surface: Surface) => `${surface.root}/documentModels/${MODEL_ID}/analyzeResults/:resultId`;

type AzureContext = RouterContext<AuthState>;

/** Azure's timestamps: UTC to the second. */
const dateTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function azureRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');
  const { limits } = deps.config;
  const optionRules = { models: deps.config.vision.models, webhooks: { signed: deps.config.webhooks.secret !== undefined, allowPrivate: deps.config.webhooks.allowPrivate } };

  /** The checks of the submit routes, by the document's bytes, with the size limit of its kind. */
  async function acceptDocument(upload: Upload, pages: string | undefined): Promise<AcceptedFile & { mimeType: string; options: { pages?: string } }> {
    const options = await parseTaskOptions({}, pages === undefined ? {} : { pages }, optionRules);
    const { mimeType } = upload;
    const tooLarge = (what: string, bytes: number) =>
      azureError('InvalidRequest', 'InvalidContentLength', `The ${what} is larger than ${bytes / MB} MB, the most this server accepts`);
    if (mimeType === 'application/pdf') {
      if (upload.size > limits.maxPdfBytes) throw tooLarge('PDF', limits.maxPdfBytes);
      return { ...(await acceptPdf(deps.pdf, upload.path, options, limits.maxPdfPages)), mimeType, options };
    }
    if (mimeType && IMAGE_TYPES.has(mimeType)) {
      if (upload.size > limits.maxImageBytes) throw tooLarge('image', limits.maxImageBytes);
      return { ...(await acceptImage(deps.pdf, upload.path, mimeType, options, limits.maxPdfPages)), mimeType, options };
    }
    throw azureError('InvalidRequest', 'InvalidContent', 'The file is corrupted or format is unsupported: send a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image');
  }

  /**
   * Where the client polls, on the scheme and host it called (behind a proxy, those the proxy was
   * called by). Azure's SDKs read the result id out of this URL with a pattern that wants
   * /documentintelligence right after the host (Python's, which paperless-ngx uses, is anchored:
   * `[^:]+://[^/]+/documentintelligence/.+/([^?/]+)`), so a client that sends its key, and sends it
   * again when it polls, is pointed at the unprefixed route: the password stays out of the answer
   * too. A client without a key (curl under the prefix) keeps its prefix.
   */
  const operationLocation = (ctx: AzureContext, surface: Surface, taskId: string, apiVersion: string) => {
    const prefix = ctx.state.prefix === '' || ctx.get('ocp-apim-subscription-key') !== '' ? '' : `/${encodeURIComponent(ctx.state.prefix.slice(1))}`;
    return `${ctx.protocol}://${ctx.host}${prefix}${surface.root}/documentModels/${MODEL_ID}/analyzeResults/${taskId}?api-version=${apiVersion}`;
  };

  async function analyze(ctx: AzureContext, surface: Surface): Promise<void> {
    const { request, pages } = parseAnalyzeQuery(surface, ctx.query);
    const upload = await receiveDocument(ctx, tmpDir, Math.max(limits.maxImageBytes, limits.maxPdfBytes));
    try {
      const { mimeType, options, ...accepted } = await acceptDocument(upload, pages);
      const extension = mimeType === 'application/pdf' ? 'pdf' : mimeType.slice('image/'.length).replace('jpeg', 'jpg');
      const taskId = await deps.tasks.submit(
        { ...upload, mimeType, fileName: `document.${extension}` },
        { ...accepted, source: 'azure_read', options, metadata: { [METADATA_KEY]: request satisfies AnalyzeRequest } },
      );
      // An empty body: null first (Koa would send "Accepted" otherwise), then the status (null alone means 204).
      ctx.body = null;
      ctx.status = 202;
      ctx.set('Operation-Location', operationLocation(ctx, surface, taskId, request.api_version));
      ctx.set('Retry-After', RETRY_AFTER_SECONDS);
    } finally {
      await upload.discard();
    }
  }

  /** Each page the task reads, with its text in the asked format and its size in Azure's units. */
  async function resultPages(task: TaskRow, request: AnalyzeRequest): Promise<ResultPage[]> {
    const [rows, sizes] = await Promise.all([listPages(deps.pool, task.id, { withContent: true }), deps.pdfExports.pageSizes(task)]);
    const byNumber = new Map(rows.map((row) => [row.page_number, row]));
    const isPdf = task.mime_type === 'application/pdf';
    return taskPageNumbers(task).map((pageNumber) => {
      const row = byNumber.get(pageNumber);
      const size = sizes?.[pageNumber - 1];
      const markdown = row?.status === 'completed' ? (row.content ?? '') : undefined;
      return {
        pageNumber,
        text: markdown === undefined || request.content_format === 'markdown' ? markdown : markdownToPlainText(markdown),
        ...(markdown === undefined ? { error: row?.error_message ?? 'the page has no result' } : {}),
        // A PDF's size in inches (rounded as Azure does, to 4 places), an image's in pixels; none once the file is gone.
        ...(size ? { size: isPdf
          ? { width: Math.round((size.width / POINTS_PER_INCH) * 1e4) / 1e4, height: Math.round((size.height / POINTS_PER_INCH) * 1e4) / 1e4, unit: 'inch' as const }
          : { width: size.width, height: size.height, unit: 'pixel' as const } } : {}),
      };
    });
  }

  async function operation(ctx: AzureContext, surface: Surface): Promise<void> {
    const apiVersion = apiVersionOf(surface, ctx.query);
    const task = await findTask(deps.pool, ctx.params.resultId);
    const status = OPERATION_STATUS[task.status];
    const request = analyzeRequestOf(task, apiVersion);
    if (!isFinalStatus(task.status)) ctx.set('Retry-After', RETRY_AFTER_SECONDS);
    ctx.body = {
      status,
      createdDateTime: dateTime(task.created_at),
      lastUpdatedDateTime: dateTime(task.updated_at),
      ...(status === 'succeeded' ? {
        analyzeResult: analyzeResultOf({
          apiVersion: request.api_version,
          ...(surface.v4 ? { contentFormat: request.content_format } : {}),
          stringIndexType: request.string_index_type,
          pages: await resultPages(task, request),
        }),
      } : {}),
      ...(status === 'failed' ? { error: operationError(task) } : {}),
    };
  }

  /** The searchable PDF an analyze asked for with `output=pdf`, sent from disk. */
  async function searchablePdf(ctx: AzureContext, apiVersion: string): Promise<void> {
    const task = await findTask(deps.pool, ctx.params.resultId);
    if (!analyzeRequestOf(task, apiVersion).output_pdf) {
      throw azureError('NotFound', 'OutputOptionNotFound', 'The output option was not found: Failed to generate the analyze results in the output option format. Output option should be informed in analyze call.');
    }
    const status = OPERATION_STATUS[task.status];
    if (status !== 'succeeded') {
      throw azureError('NotFound', 'ResultNotReady', status === 'failed'
        ? 'The analyze operation failed: it has no PDF'
        : 'The analyze operation has not finished: poll its analyzeResults URL until its status is succeeded');
    }
    await sendSearchablePdf(ctx, deps.pdfExports, task, () => azureError('NotFound', 'ResultExpired', "The document's file is no longer stored on this server; its text is"));
  }

  for (const surface of SURFACES) {
    router.post(analyzePath(surface), (ctx) => analyze(ctx, surface));
    router.get(resultPath(surface), (ctx) => operation(ctx, surface));
    if (surface.v4) {
      router.get(`${resultPath(surface)}/pdf`, (ctx) => searchablePdf(ctx, apiVersionOf(surface, ctx.query)));
    }
  }
  return router;
}
