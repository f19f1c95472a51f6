/**
 * Submit routes (multipart field `file`): /api/async/image and /api/async/pdf, and the old service's
 * aliases /process/{image,pdf} and /api/tasks/{image,pdf} with their own answer shapes; and
 * /api/async/batch (field `files`, up to 20, each routed by its bytes). Unlike the old service, every route
 * enforces the size, type and page limits, and bad input is a 400, never a 500.
 */
import path from 'node:path';
import Router from '@koa/router';
import type { AsyncSubmitted, TaskOptions } from '../../../contract/index.js';
import type { Context } from 'koa';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { acceptImage, acceptPdf, IMAGE_TYPES, type AcceptedFile } from '../accept-file.js';
import { HttpError, httpError } from '../errors.js';
import { idempotencyKey, requestFingerprint, submitOnce, type Submitted } from '../idempotency.js';
import { BATCH_FIELD, FILE_FIELD, MAX_BATCH_FILES } from '../schemas.js';
import { fileSizeMb } from '../../views/task-view.js';
import { parseTaskOptions } from '../task-options.js';
import { receiveFiles, receiveUpload, type Upload } from '../upload.js';

const MB = 1024 * 1024;
/** The old service's rough guess of seconds per page, kept for clients that show it. */
const SECONDS_PER_PAGE = 3;
const IMAGE_ESTIMATE_SECONDS = 30;

type RouteState = Context & { state: AuthState };
/** A file of a batch that became a task, as the batch answer lists it. */
interface BatchTask { task_id: string; filename: string; type: 'image' | 'pdf'; total_pages?: number; estimated_time: number }

export function submitRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');
  const { limits } = deps.config;
  const optionRules = { models: deps.config.vision.models, webhooks: { signed: deps.config.webhooks.secret !== undefined, allowPrivate: deps.config.webhooks.allowPrivate } };

  /**
   * Receives the upload, runs `handle` (once per Idempotency-Key: a repeat gets the first request's
   * task, `replay`), and always deletes the temp file.
   */
  async function withUpload(ctx: Context, kind: 'image' | 'pdf', maxBytes: number, handle: (upload: Upload, options: TaskOptions) => Promise<Submitted>): Promise<{ submitted: Submitted; replay: boolean }> {
    const key = idempotencyKey(ctx);
    const { files: upload, fields } = await receiveUpload(ctx, tmpDir, { field: FILE_FIELD, maxBytes, tooLargeMessage: `文件过大，最大支持${maxBytes / MB}MB` });
    try {
      const options = await parseTaskOptions(fields, ctx.query, optionRules);
      return await submitOnce(deps.pool, key, requestFingerprint(kind, upload.sha256, options), () => handle(upload, options), (s) => s.taskId);
    } finally {
      await upload.discard();
    }
  }

  const submitImage = (ctx: Context, source: string) => withUpload(ctx, 'image', limits.maxImageBytes, async (upload, options): Promise<Submitted> => {
    const mimeType = upload.mimeType;
    if (!mimeType || !IMAGE_TYPES.has(mimeType)) {
      throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传图片文件 (PNG, JPEG, WebP, GIF, BMP or TIFF)');
    }
    const accepted = await acceptImage(deps.pdf, upload.path, mimeType, options, limits.maxPdfPages);
    const taskId = await deps.tasks.submit({ ...upload, mimeType }, { ...accepted, source, options });
    return { taskId, totalPages: accepted.totalPages, size: upload.size };
  });

  const submitPdf = (ctx: Context, source: string) => withUpload(ctx, 'pdf', limits.maxPdfBytes, async (upload, options): Promise<Submitted> => {
    if (upload.mimeType !== 'application/pdf') throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传PDF文件');
    const accepted = await acceptPdf(deps.pdf, upload.path, options, limits.maxPdfPages);
    const taskId = await deps.tasks.submit({ ...upload, mimeType: upload.mimeType }, { ...accepted, source, options });
    return { taskId, totalPages: accepted.totalPages, size: upload.size };
  });

  /** A repeat of an earlier submit (Idempotency-Key) says so; a first answer is as it always was. */
  const replayed = (replay: boolean) => (replay ? { idempotent_replay: true as const } : {});

  const taskUrl = (ctx: RouteState, taskId: string) => `${ctx.state.prefix}/api/tasks/${taskId}`;

  /** A PDF's (or a multi-page TIFF's) pages and size, and the time its pages take; an image's 30 s. */
  const pagesOf = (s: Submitted, kind: 'image' | 'pdf') => (kind === 'pdf' || s.totalPages > 1
    ? { total_pages: s.totalPages, file_size_mb: fileSizeMb(s.size), estimated_time: s.totalPages * SECONDS_PER_PAGE }
    : { estimated_time: IMAGE_ESTIMATE_SECONDS });

  /** /api/async/*: the answer of the old service's async routes (docs/compatibility.md, "Submit"). */
  const asyncAnswer = (ctx: RouteState, { submitted: s, replay }: { submitted: Submitted; replay: boolean }, kind: 'image' | 'pdf'): AsyncSubmitted => ({
    status: 'success',
    task_id: s.taskId,
    message: kind === 'image' ? '图片任务已提交' : 'PDF任务已提交',
    ...pagesOf(s, kind),
    endpoints: {
      status: taskUrl(ctx, s.taskId),
      result: `${taskUrl(ctx, s.taskId)}/result`,
      cancel: `${taskUrl(ctx, s.taskId)}/cancel`,
      websocket: `${ctx.state.prefix}/ws`,
    },
    ...replayed(replay),
  });

  /** /process/*: the answer the old service's web page read. */
  const processAnswer = (ctx: RouteState, { submitted: s, replay }: { submitted: Submitted; replay: boolean }, kind: 'image' | 'pdf') => ({
    status: 'accepted',
    task_id: s.taskId,
    message: '任务已提交，正在后台处理',
    ...pagesOf(s, kind),
    websocket_url: `${ctx.state.prefix}/ws?client_id=sync_${s.taskId}`,
    status_url: taskUrl(ctx, s.taskId),
    result_url: `${taskUrl(ctx, s.taskId)}/result`,
    ...replayed(replay),
  });

  /** One file of a batch: a task, or the old service's per-file error message. */
  async function submitBatchFile(upload: Upload, options: TaskOptions): Promise<{ task: BatchTask; error?: undefined; code?: undefined } | { task?: undefined; error: string; code: string }> {
    const mb = (bytes: number) => bytes / MB;
    if (upload.tooLarge) return { error: `文件过大(最大${mb(Math.max(limits.maxImageBytes, limits.maxPdfBytes))}MB)`, code: 'file_too_large' };
    if (upload.size === 0) return { error: '文件内容为空', code: 'empty_file' };
    const mimeType = upload.mimeType;
    if (mimeType && IMAGE_TYPES.has(mimeType)) {
      if (upload.size > limits.maxImageBytes) return { error: `图片文件过大(最大${mb(limits.maxImageBytes)}MB)`, code: 'file_too_large' };
      let accepted: AcceptedFile;
      try {
        accepted = await acceptImage(deps.pdf, upload.path, mimeType, options, limits.maxPdfPages);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        return { error: err.detail, code: err.code };
      }
      const taskId = await deps.tasks.submit({ ...upload, mimeType }, { ...accepted, source: 'api_batch', options });
      const { total_pages, estimated_time } = pagesOf({ taskId, totalPages: accepted.totalPages, size: upload.size }, 'image');
      return { task: { task_id: taskId, filename: upload.fileName, type: 'image', total_pages, estimated_time } };
    }
    if (mimeType === 'application/pdf') {
      if (upload.size > limits.maxPdfBytes) return { error: `PDF文件过大(最大${mb(limits.maxPdfBytes)}MB)`, code: 'file_too_large' };
      let accepted: AcceptedFile;
      try {
        accepted = await acceptPdf(deps.pdf, upload.path, options, limits.maxPdfPages);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        // The old service's batch messages for the PDF's own problems; a bad `pages` says what it says.
        const error = err.code === 'invalid_option' ? err.detail
          : err.code === 'pdf_too_many_pages' ? `PDF页数过多(最大${limits.maxPdfPages}页)` : `PDF文件格式错误: ${err.detail}`;
        return { error, code: err.code };
      }
      const taskId = await deps.tasks.submit({ ...upload, mimeType }, { ...accepted, source: 'api_batch', options });
      const { totalPages } = accepted;
      return { task: { task_id: taskId, filename: upload.fileName, type: 'pdf', total_pages: totalPages, estimated_time: totalPages * SECONDS_PER_PAGE } };
    }
    return { error: '不支持的文件类型', code: 'unsupported_file_type' };
  }

  router.post('/api/async/batch', async (ctx) => {
    const key = idempotencyKey(ctx);
    const { files, fields } = await receiveFiles(ctx, tmpDir, {
      field: BATCH_FIELD,
      maxFiles: MAX_BATCH_FILES,
      maxBytes: Math.max(limits.maxImageBytes, limits.maxPdfBytes),
      tooManyMessage: `批量上传最多支持${MAX_BATCH_FILES}个文件`,
    });
    try {
      if (files.length === 0) throw httpError(400, 'missing_file', `未收到文件 (no file in field "${BATCH_FIELD}")`);
      // The options apply to every file of the batch.
      const options = await parseTaskOptions(fields, ctx.query, optionRules);
      const fingerprint = requestFingerprint('batch', files.map((f) => f.sha256), options);
      const { submitted: { submitted, failed }, replay } = await submitOnce(deps.pool, key, fingerprint, async () => {
        const answer: { submitted: BatchTask[]; failed: Array<{ filename: string; error: string; code: string }> } = { submitted: [], failed: [] };
        // One at a time: a batch of 20 large PDFs must not be stored and inspected all at once.
        for (const file of files) {
          const outcome = await submitBatchFile(file, options);
          if (outcome.task) answer.submitted.push(outcome.task);
          else answer.failed.push({ filename: file.fileName, error: outcome.error, code: outcome.code });
        }
        return answer;
      });
      ctx.body = {
        status: 'success',
        message: `批量任务提交完成，成功: ${submitted.length}, 失败: ${failed.length}`,
        submitted_tasks: submitted,
        failed_files: failed,
        total_tasks: submitted.length,
        total_estimated_time: submitted.reduce((sum, t) => sum + t.estimated_time, 0),
        endpoints: { batch_status: `${ctx.state.prefix}/api/tasks/batch/status`, websocket: `${ctx.state.prefix}/ws` },
        ...replayed(replay),
      };
    } finally {
      await Promise.all(files.map((f) => f.discard()));
    }
  });

  router.post('/api/async/image', async (ctx) => { ctx.body = asyncAnswer(ctx, await submitImage(ctx, 'api_async'), 'image'); });
  router.post('/api/async/pdf', async (ctx) => { ctx.body = asyncAnswer(ctx, await submitPdf(ctx, 'api_async'), 'pdf'); });
  router.post('/process/image', async (ctx) => { ctx.body = processAnswer(ctx, await submitImage(ctx, 'process'), 'image'); });
  router.post('/process/pdf', async (ctx) => { ctx.body = processAnswer(ctx, await submitPdf(ctx, 'process'), 'pdf'); });
  const tasksAnswer = ({ submitted, replay }: { submitted: Submitted; replay: boolean }) =>
    ({ status: 'success', task_id: submitted.taskId, message: '任务提交成功', ...replayed(replay) });
  router.post('/api/tasks/image', async (ctx) => { ctx.body = tasksAnswer(await submitImage(ctx, 'api_tasks')); });
  router.post('/api/tasks/pdf', async (ctx) => { ctx.body = tasksAnswer(await submitPdf(ctx, 'api_tasks')); });

  return router;
}
