/** Submit routes: POST /api/async/image (PDF and batch routes come with the PDF issue). */
import path from 'node:path';
import Router from '@koa/router';
import type { AuthState } from '../auth.js';
import { createTask } from '../create-task.js';
import type { ApiDeps } from '../deps.js';
import { httpError } from '../errors.js';
import { receiveUpload } from '../upload.js';

/** Decided by magic bytes. BMP and TIFF are converted to PNG before they reach the model. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'image/tiff']);

const MB = 1024 * 1024;

export function submitRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');
  const maxImageMb = deps.config.limits.maxImageBytes / MB;

  router.post('/api/async/image', async (ctx) => {
    const upload = await receiveUpload(ctx, tmpDir, {
      field: 'file',
      maxBytes: deps.config.limits.maxImageBytes,
      tooLargeMessage: `文件过大，最大支持${maxImageMb}MB`,
    });
    try {
      const mimeType = upload.mimeType;
      if (!mimeType || !IMAGE_TYPES.has(mimeType)) {
        throw httpError(400, 'unsupported_file_type', '不支持的文件类型，请上传图片文件 (PNG, JPEG, WebP, GIF, BMP or TIFF)');
      }
      const taskId = await createTask(deps, { ...upload, mimeType }, { taskType: 'image_ocr', totalPages: 1, source: 'api_async' });
      const base = `${ctx.state.prefix}/api/tasks/${taskId}`;
      ctx.body = {
        status: 'success',
        task_id: taskId,
        message: '图片任务已提交',
        estimated_time: 30,
        endpoints: { status: base, result: `${base}/result` },
      };
    } finally {
      await upload.discard();
    }
  });

  return router;
}
