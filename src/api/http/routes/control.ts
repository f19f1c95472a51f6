/** Task control: POST /api/tasks/{id}/cancel, /retry and /pages/{n}/retry, DELETE /api/tasks/{id} (the lifecycle decides). */
import Router from '@koa/router';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { findTask, findTaskPage } from '../find-task.js';

export function controlRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const { pool, tasks } = deps;

  router.post('/api/tasks/:id/cancel', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    await tasks.cancel(task);
    ctx.status = 202;
    ctx.body = { status: 'success', task_id: task.id, message: '取消请求已提交 (cancellation requested; pages already done are kept)' };
  });

  router.post('/api/tasks/:id/retry', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const retried = await tasks.retry(task);
    ctx.status = 202;
    ctx.body = { status: 'success', task_id: task.id, message: `正在重试失败的页面 (retrying ${retried} failed pages)`, retried_pages: retried };
  });

  router.post('/api/tasks/:id/pages/:n/retry', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const pageNumber = findTaskPage(task, ctx.params.n);
    await tasks.retryPage(task, pageNumber);
    ctx.status = 202;
    ctx.body = { status: 'success', task_id: task.id, page_number: pageNumber, message: `正在重新识别第 ${pageNumber} 页 (page ${pageNumber} is being read again)` };
  });

  router.delete('/api/tasks/:id', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    await tasks.remove(task);
    ctx.body = { status: 'success', task_id: task.id, message: '任务已删除' };
  });

  return router;
}
