/**
 * GET /api/tasks/{id}/export?format=json|md|txt|html|pdf: the result as a download, in the formats
 * clients of the old service read (docs/compatibility.md, "Export formats"), as one self-contained
 * HTML page, and as the original pages made searchable (export/pdf-exports.ts).
 */
import Router, { type RouterContext } from '@koa/router';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { httpError } from '../errors.js';
import { findTask } from '../find-task.js';
import { EXPORT_FORMATS, exportQuery, type ExportFormat } from '../schemas.js';
import { attachmentDisposition, exportFileName } from '../attachment.js';
import { HTML_EXPORT_CSP, renderHtmlExport } from '../../../export/html.js';
import { sendSearchablePdf } from '../send-pdf.js';
import type { TaskRow } from '../../../store/tasks.js';
import { hasResult, taskResult } from '../../views/task-view.js';
import { joinedContent, listPages } from '../../../store/pages.js';

export const EXPORT_CONTENT_TYPES = {
  json: 'application/json; charset=utf-8', md: 'text/markdown; charset=utf-8', txt: 'text/plain; charset=utf-8', html: 'text/html; charset=utf-8', pdf: 'application/pdf',
} as const satisfies Record<ExportFormat, string>;

export function exportRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/api/tasks/:id/export', async (ctx) => {
    const query = exportQuery.safeParse(ctx.query);
    if (!query.success) throw httpError(400, 'unsupported_format', `不支持的导出格式，支持: ${EXPORT_FORMATS.join(', ')}`);
    const { format } = query.data;
    const task = await findTask(deps.pool, ctx.params.id);
    // A partial task exports what succeeded and says which pages did not.
    if (!hasResult(task.status)) throw httpError(400, 'task_not_finished', '任务未完成，无法导出');
    if (format === 'html') {
      // Named after the upload (the old formats keep the old service's task_<id>_result name).
      ctx.set('Content-Disposition', attachmentDisposition(exportFileName(task.file_name, '.html'), `task_${task.id}_result.html`));
      ctx.set('Content-Security-Policy', HTML_EXPORT_CSP);
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.type = EXPORT_CONTENT_TYPES.html;
      ctx.body = await renderHtmlExport(task, await listPages(deps.pool, task.id, { withContent: true }));
      return;
    }
    if (format === 'pdf') {
      await searchablePdf(ctx, task);
      return;
    }
    const [content, pages] = await Promise.all([joinedContent(deps.pool, task.id), listPages(deps.pool, task.id, { withContent: format === 'json' })]);
    const failed = pages.filter((p) => p.status === 'failed').map((p) => ({ page_number: p.page_number, error_message: p.error_message }));
    const missing = failed.map((p) => p.page_number).join(', ');

    ctx.set('Content-Disposition', `attachment; filename=task_${task.id}_result.${format}`);
    ctx.type = EXPORT_CONTENT_TYPES[format];
    switch (format) {
      case 'txt':
        ctx.body = failed.length ? `${content}\n\n[以下页面识别失败 / pages that could not be recognised: ${missing}]\n` : content;
        break;
      case 'md':
        ctx.body = `# Task ${task.id} Result\n\n${content}${failed.length ? `\n\n> 以下页面识别失败 / pages that could not be recognised: ${missing}\n` : ''}`;
        break;
      case 'json':
        ctx.body = JSON.stringify({
          task_id: task.id,
          export_time: new Date().toISOString(),
          task_info: taskResult(task, content, pages, deps.config.pricing),
          content,
          failed_pages: failed,
        }, null, 2);
        break;
    }
  });

  /** The searchable PDF, revalidated by its ETag (a retried page changes it) and sent from disk. */
  async function searchablePdf(ctx: RouterContext<AuthState>, task: TaskRow): Promise<void> {
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.set('Content-Disposition', attachmentDisposition(exportFileName(task.file_name, '.searchable.pdf'), `task_${task.id}_result.pdf`));
    await sendSearchablePdf(ctx, deps.pdfExports, task, () => httpError(404, 'file_not_found', "任务的原始文件已不再保存 (the task's file is no longer stored; its results are)"));
  }

  return router;
}
