/** Task queries: GET /api/tasks/{id} and GET /api/tasks/{id}/result. */
import Router from '@koa/router';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { httpError } from '../errors.js';
import { getTask, type TaskRow } from '../../store/tasks.js';
import { joinedContent, listPages } from '../../store/pages.js';
import { taskDetails, taskResult } from '../task-view.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function taskRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();

  /** A malformed id can name no task: same answer as an unknown one, and no query is made. */
  async function findTask(id: string): Promise<TaskRow> {
    const task = UUID.test(id) ? await getTask(deps.pool, id) : undefined;
    if (!task) throw httpError(404, 'task_not_found', '任务不存在');
    return task;
  }

  router.get('/api/tasks/:id', async (ctx) => {
    const task = await findTask(ctx.params.id!);
    const pages = await listPages(deps.pool, task.id, { withContent: false });
    ctx.body = { status: 'success', data: taskDetails(task, pages) };
  });

  router.get('/api/tasks/:id/result', async (ctx) => {
    const task = await findTask(ctx.params.id!);
    const isPdf = task.task_type === 'pdf_ocr';
    const [content, pages] = await Promise.all([
      joinedContent(deps.pool, task.id),
      isPdf ? listPages(deps.pool, task.id, { withContent: true }) : Promise.resolve([]),
    ]);
    ctx.body = { status: 'success', data: taskResult(task, content, pages) };
  });

  return router;
}
