/** Task queries: list, one task, its result, pages, progress, batches and webhook deliveries, and batch status. */
import Router from '@koa/router';
import type { TaskList } from '../../../contract/index.js';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { httpError } from '../errors.js';
import { findTask, findTaskPage } from '../find-task.js';
import { jsonBody } from '../json-body.js';
import { batchesView, detailedProgress, pageStatisticsView } from '../../views/progress-view.js';
import { batchStatusBody, listQuery, MAX_BATCH_STATUS_IDS, taskId } from '../schemas.js';
import { hasPageResults, pageWithContent, taskDetails, taskResult, taskSummary } from '../../views/task-view.js';
import { getTasks, listTasks } from '../../../store/tasks.js';
import { getPage, joinedContent, listPages } from '../../../store/pages.js';
import { listTaskDeliveries } from '../../../store/webhooks.js';
import { taskWebhooks } from '../../views/webhook-view.js';

export function taskRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const { pool } = deps;
  const { pricing } = deps.config;

  router.get('/api/tasks', async (ctx) => {
    const parsed = listQuery.safeParse(ctx.query);
    if (!parsed.success) throw httpError(400, 'invalid_query', parsed.error.issues.map((i) => i.message).join('; '));
    const { rows, total } = await listTasks(pool, parsed.data);
    const list: TaskList = { status: 'success', data: rows.map((task) => taskSummary(task, pricing)), pagination: { limit: parsed.data.limit, offset: parsed.data.offset, total } };
    ctx.body = list;
  });

  router.post('/api/tasks/batch/status', jsonBody(), async (ctx) => {
    const parsed = batchStatusBody.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      if (parsed.error.issues.some((i) => i.code === 'too_big')) throw httpError(400, 'too_many_task_ids', `批量查询最多支持${MAX_BATCH_STATUS_IDS}个任务`);
      throw httpError(400, 'missing_task_ids', '未提供任务ID (send {"task_ids": [...]})');
    }
    const ids = parsed.data.task_ids;
    const wellFormed = ids.filter((id): id is string => taskId.safeParse(id).success);
    const found = await getTasks(pool, wellFormed);
    const tasks = ids.map((id) => {
      const task = typeof id === 'string' ? found.get(id.toLowerCase()) : undefined;
      if (!task) return { task_id: String(id), status: 'not_found', error_message: '任务不存在' };
      const { progress, created_at, completed_at, error_message } = taskSummary(task);
      return { task_id: task.id, status: task.status, progress, created_at, completed_at, error_message };
    });
    const statusCounts: Record<string, number> = {};
    for (const t of tasks) statusCounts[t.status] = (statusCounts[t.status] ?? 0) + 1;
    ctx.body = { status: 'success', tasks, summary: { total_tasks: tasks.length, status_counts: statusCounts } };
  });

  router.get('/api/tasks/:id', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    ctx.body = { status: 'success', data: taskDetails(task, await listPages(pool, task.id, { withContent: false }), pricing) };
  });

  router.get('/api/tasks/:id/webhooks', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    ctx.body = taskWebhooks(task.id, await listTaskDeliveries(pool, task.id));
  });

  router.get('/api/tasks/:id/result', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const [content, pages] = await Promise.all([
      joinedContent(pool, task.id),
      hasPageResults(task) ? listPages(pool, task.id, { withContent: true }) : Promise.resolve([]),
    ]);
    ctx.body = { status: 'success', data: taskResult(task, content, pages, pricing) };
  });

  router.get('/api/tasks/:id/pages', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const pages = await listPages(pool, task.id, { withContent: true });
    ctx.body = {
      status: 'success',
      data: {
        task_id: task.id,
        pages: pages.map(pageWithContent),
        total_pages: task.total_pages,
        page_statistics: pageStatisticsView(task, pages),
      },
    };
  });

  router.get('/api/tasks/:id/pages/:n', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const n = findTaskPage(task, ctx.params.n);
    const page = await getPage(pool, task.id, n);
    if (!page) throw httpError(404, 'page_not_ready', '页面结果不存在 (the page has no result yet)');
    ctx.body = { status: 'success', data: { task_id: task.id, page_number: n, page_result: pageWithContent(page) } };
  });

  router.get('/api/tasks/:id/progress', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const pages = await listPages(pool, task.id, { withContent: false });
    const progress = detailedProgress(task);
    ctx.body = {
      status: 'success',
      data: {
        task_info: taskSummary(task, pricing),
        // The old service declared latest_progress but always sent null; it is the same live figures
        // here (docs/compatibility.md, "Task queries").
        latest_progress: progress,
        batches: batchesView(task, pages, batchSizeOf(task.metadata)),
        page_statistics: pageStatisticsView(task, pages),
        detailed_progress: progress,
      },
    };
  });

  router.get('/api/tasks/:id/batches', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    const batches = batchesView(task, await listPages(pool, task.id, { withContent: false }), batchSizeOf(task.metadata));
    ctx.body = { status: 'success', data: { task_id: task.id, batches, total_batches: batches.length } };
  });

  /** The batch size the task was started with (stored at submit); older rows fall back to BATCH_SIZE. */
  function batchSizeOf(metadata: Record<string, unknown>): number {
    const size = metadata.batch_size;
    return typeof size === 'number' && size > 0 ? size : deps.config.pdf.batchSize;
  }

  return router;
}
