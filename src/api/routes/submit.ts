/**
 * Submit routes (multipart field `file`): /api/async/image and /api/async/pdf, and the seed's older
 * aliases /process/{image,pdf} and /api/tasks/{image,pdf} with their own answer shapes. Unlike the
 * seed, every route enforces the size, type and page limits, and bad input is a 400, never a 500.
 */
import path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AuthState } from '../auth.js';
import { createTask } from '../create-task.js';
import type { ApiDeps } from '../deps.js';
import { httpError } from '../errors.js';
import { checkPdf } from '../pdf-check.js';
import { fileSizeMb } from '../task-view.js';
import { receiveUpload, type Upload } from '../upload.js';

/** Decided by magic bytes. BMP and TIFF are converted to PNG before they reach the model. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'image/tiff']);

const MB = 1024 * 1024;
/** The seed's rough guess of seconds per page, kept for clients that show it. */
const SECONDS_PER_PAGE = 3;
const IMAGE_ESTIMATE_SECONDS = 30;

interface Submitted { taskId: string; totalPages: number; size: number }
type RouteState = Context & { state: AuthState };

export function submitRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');
  const { limits } = deps.config;

  /** Receives the upload, runs `handle`, and always deletes the temp file. */
  async function withUpload<T>(ctx: Context, maxBytes: number, handle: (upload: Upload) => Promise<T>): Promise<T> {
    const upload = await receiveUpload(ctx, tmpDir, { field: 'file', maxBytes, tooLargeMessage: `文件过大，最大支持${maxBytes / MB}MB` });
    try {
      return await handle(upload);
    } finally {
      await upload.discard();
    }
  }

  const submitImage = (ctx: Context, source: string) => withUpload(ctx, limits.maxImageBytes, async (upload): Promise<Submitted> => {
    const mimeType = upload.mimeType;
    if (!mimeType || !IMAGE_TYPES.has(mimeType)) {
      throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传图片文件 (PNG, JPEG, WebP, GIF, BMP or TIFF)');
    }
    const taskId = await createTask(deps, { ...upload, mimeType }, { taskType: 'image_ocr', totalPages: 1, source });
    return { taskId, totalPages: 1, size: upload.size };
  });

  const submitPdf = (ctx: Context, source: string) => withUpload(ctx, limits.maxPdfBytes, async (upload): Promise<Submitted> => {
    if (upload.mimeType !== 'application/pdf') throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传PDF文件');
    const totalPages = await checkPdf(deps.pdf, upload.path, limits.maxPdfPages);
    const taskId = await createTask(deps, { ...upload, mimeType: upload.mimeType }, { taskType: 'pdf_ocr', totalPages, source });
    return { taskId, totalPages, size: upload.size };
  });

  const taskUrl = (ctx: RouteState, taskId: string) => `${ctx.state.prefix}/api/tasks/${taskId}`;

  /** /api/async/*: the answer of the seed's async routes. */
  const asyncAnswer = (ctx: RouteState, s: Submitted, kind: 'image' | 'pdf') => ({
    status: 'success',
    task_id: s.taskId,
    message: kind === 'image' ? '图片任务已提交' : 'PDF任务已提交',
    ...(kind === 'pdf' ? { total_pages: s.totalPages, file_size_mb: fileSizeMb(s.size) } : {}),
    estimated_time: kind === 'image' ? IMAGE_ESTIMATE_SECONDS : s.totalPages * SECONDS_PER_PAGE,
    endpoints: { status: taskUrl(ctx, s.taskId), result: `${taskUrl(ctx, s.taskId)}/result`, cancel: `${taskUrl(ctx, s.taskId)}/cancel` },
  });

  /** /process/*: the answer the seed's web page read. */
  const processAnswer = (ctx: RouteState, s: Submitted, kind: 'image' | 'pdf') => ({
    status: 'accepted',
    task_id: s.taskId,
    message: '任务已提交，正在后台处理',
    ...(kind === 'pdf' ? { total_pages: s.totalPages, file_size_mb: fileSizeMb(s.size) } : {}),
    estimated_time: kind === 'image' ? IMAGE_ESTIMATE_SECONDS : s.totalPages * SECONDS_PER_PAGE,
    websocket_url: `${ctx.state.prefix}/ws?client_id=sync_${s.taskId}`,
    status_url: taskUrl(ctx, s.taskId),
    result_url: `${taskUrl(ctx, s.taskId)}/result`,
  });

  router.post('/api/async/image', async (ctx) => { ctx.body = asyncAnswer(ctx, await submitImage(ctx, 'api_async'), 'image'); });
  router.post('/api/async/pdf', async (ctx) => { ctx.body = asyncAnswer(ctx, await submitPdf(ctx, 'api_async'), 'pdf'); });
  router.post('/process/image', async (ctx) => { ctx.body = processAnswer(ctx, await submitImage(ctx, 'process'), 'image'); });
  router.post('/process/pdf', async (ctx) => { ctx.body = processAnswer(ctx, await submitPdf(ctx, 'process'), 'pdf'); });
  router.post('/api/tasks/image', async (ctx) => {
    ctx.body = { status: 'success', task_id: (await submitImage(ctx, 'api_tasks')).taskId, message: '任务提交成功' };
  });
  router.post('/api/tasks/pdf', async (ctx) => {
    ctx.body = { status: 'success', task_id: (await submitPdf(ctx, 'api_tasks')).taskId, message: '任务提交成功' };
  });

  return router;
}
