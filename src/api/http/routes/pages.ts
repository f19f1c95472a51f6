/** A page for review: its image as the model saw it (GET /api/tasks/{id}/pages/{n}/image). */
import Router, { type RouterContext } from '@koa/router';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { httpError } from '../errors.js';
import { findTask, findTaskPage } from '../find-task.js';
import { pageImageQuery } from '../schemas.js';
import { UnreadablePreviewError } from '../../../previews/page-previews.js';

/** A preview never changes under its URL (the file is stored by its hash, the task's options are fixed). */
const IMMUTABLE = 'private, max-age=31536000, immutable';

export function pageRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const { pool, previews, metrics } = deps;

  router.get('/api/tasks/:id/pages/:n/image', async (ctx) => {
    // A client gone (a thumbnail scrolled away) leaves the queue at once.
    const gone = new AbortController();
    ctx.res.once('close', () => gone.abort());
    try {
      await previews.gate.run(() => pageImage(ctx), { key: ctx.params.id, order: Number(ctx.params.n) || 0, signal: gone.signal });
    } catch (err) {
      // Nobody to answer: not an error of ours.
      if (gone.signal.aborted && !ctx.res.writableEnded) return;
      throw err;
    }
  });

  async function pageImage(ctx: RouterContext<AuthState>): Promise<void> {
    const task = await findTask(pool, ctx.params.id);
    const pageNumber = findTaskPage(task, ctx.params.n);
    const query = pageImageQuery.safeParse(ctx.query);
    if (!query.success) throw httpError(400, 'invalid_query', query.error.issues.map((i) => i.message).join('; '));
    const ask = { pageNumber, ...query.data };
    ctx.set('ETag', previews.etag(task, ask));
    ctx.set('Cache-Control', IMMUTABLE);
    ctx.status = 200;
    // Koa compares If-None-Match with the ETag just set: a browser's revalidation draws nothing.
    if (ctx.fresh) {
      metrics.previews.inc({ source: 'not_modified' });
      ctx.status = 304;
      return;
    }
    let preview;
    try {
      preview = await previews.get(task, ask);
    } catch (err) {
      if (err instanceof UnreadablePreviewError) throw httpError(422, 'unreadable_page', err.message);
      throw err;
    }
    if (!preview) throw httpError(404, 'file_not_found', "任务的原始文件已不再保存 (the task's file is no longer stored; its results are)");
    metrics.previews.inc({ source: preview.fromCache ? 'cache' : 'render' });
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = preview.mimeType;
    ctx.body = preview.data;
  }

  return router;
}
