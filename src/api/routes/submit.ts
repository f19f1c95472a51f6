/** Submit routes: POST /api/async/image and /api/async/pdf (multipart field `file`). */
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

export function submitRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');
  const { limits } = deps.config;

  /** Receives the upload, runs `handle`, and always deletes the temp file. */
  async function withUpload(ctx: Context, maxBytes: number, handle: (upload: Upload) => Promise<void>): Promise<void> {
    const upload = await receiveUpload(ctx, tmpDir, { field: 'file', maxBytes, tooLargeMessage: `文件过大，最大支持${maxBytes / MB}MB` });
    try {
      await handle(upload);
    } finally {
      await upload.discard();
    }
  }

  const endpoints = (prefix: string, taskId: string) => {
    const base = `${prefix}/api/tasks/${taskId}`;
    return { status: base, result: `${base}/result` };
  };

  router.post('/api/async/image', (ctx) => withUpload(ctx, limits.maxImageBytes, async (upload) => {
    const mimeType = upload.mimeType;
    if (!mimeType || !IMAGE_TYPES.has(mimeType)) {
      throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传图片文件 (PNG, JPEG, WebP, GIF, BMP or TIFF)');
    }
    const taskId = await createTask(deps, { ...upload, mimeType }, { taskType: 'image_ocr', totalPages: 1, source: 'api_async' });
    ctx.body = {
      status: 'success',
      task_id: taskId,
      message: '图片任务已提交',
      estimated_time: 30,
      endpoints: endpoints(ctx.state.prefix, taskId),
    };
  }));

  router.post('/api/async/pdf', (ctx) => withUpload(ctx, limits.maxPdfBytes, async (upload) => {
    if (upload.mimeType !== 'application/pdf') throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传PDF文件');
    const totalPages = await checkPdf(deps.pdf, upload.path, limits.maxPdfPages);
    const taskId = await createTask(deps, { ...upload, mimeType: upload.mimeType }, { taskType: 'pdf_ocr', totalPages, source: 'api_async' });
    ctx.body = {
      status: 'success',
      task_id: taskId,
      message: 'PDF任务已提交',
      total_pages: totalPages,
      file_size_mb: fileSizeMb(upload.size),
      estimated_time: totalPages * SECONDS_PER_PAGE,
      endpoints: endpoints(ctx.state.prefix, taskId),
    };
  }));

  return router;
}
