/** Task control: POST /api/tasks/{id}/cancel and /retry, DELETE /api/tasks/{id}. */
import Router from '@koa/router';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { httpError } from '../errors.js';
import { findTask } from '../find-task.js';
import { deleteTask, finishTask, resetForRetry, type TaskRow } from '../../../store/tasks.js';
import { restartTaskWorkflow, taskInput, waitForRunToClose } from '../../../tasks/runs.js';

const isRunning = (task: TaskRow) => task.status === 'pending' || task.status === 'processing';

export function controlRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const { pool } = deps;

  /**
   * Asks Temporal to cancel the task's workflow; the workflow records `cancelled` once its batches
   * have stopped. A task whose workflow is gone (never started) is marked cancelled here.
   */
  async function cancelWorkflow(task: TaskRow): Promise<void> {
    try {
      await deps.temporal.workflow.getHandle(task.id).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await finishTask(pool, task.id, { status: 'cancelled', errorCode: 'cancelled', errorMessage: '用户取消', resultSummary: task.result_summary ?? {} });
    }
  }

  router.post('/api/tasks/:id/cancel', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    if (!isRunning(task)) throw httpError(409, 'task_not_running', `任务已结束，无法取消 (the task is ${task.status})`);
    await cancelWorkflow(task);
    deps.log.info({ taskId: task.id }, 'task cancellation requested');
    ctx.status = 202;
    ctx.body = { status: 'success', task_id: task.id, message: '取消请求已提交 (cancellation requested; pages already done are kept)' };
  });

  router.post('/api/tasks/:id/retry', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    if (task.status !== 'partial' && task.status !== 'failed') {
      throw httpError(409, 'task_not_retryable', `只能重试部分失败或失败的任务 (only partial or failed tasks can be retried; this one is ${task.status})`);
    }
    const failedPages = task.total_pages - task.processed_pages;
    const busy = () => httpError(503, 'previous_run_active', '上一次运行尚未结束，请稍后重试 (the previous run has not finished; try again shortly)');
    // Checked before anything changes, so a refused retry leaves the task retryable.
    if (!(await waitForRunToClose(deps.temporal, task.id))) throw busy();
    await resetForRetry(pool, task.id);
    // A new run under the same workflow id; the page checkpoint skips every completed page.
    try {
      const fields = { taskType: task.task_type, fileName: task.file_name, totalPages: task.total_pages };
      await restartTaskWorkflow(deps.temporal, deps.config.temporal.taskQueue, taskInput(deps.config, task.id, task.total_pages), fields);
    } catch (err) {
      // Another retry won the race: its run is already doing this work.
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw busy();
      throw err;
    }
    deps.log.info({ taskId: task.id, failedPages }, 'task retry started');
    ctx.status = 202;
    ctx.body = { status: 'success', task_id: task.id, message: `正在重试失败的页面 (retrying ${failedPages} failed pages)`, retried_pages: failedPages };
  });

  router.delete('/api/tasks/:id', async (ctx) => {
    const task = await findTask(pool, ctx.params.id);
    if (isRunning(task)) await cancelWorkflow(task);
    await deleteTask(pool, task.id);
    deps.log.info({ taskId: task.id }, 'task deleted');
    ctx.body = { status: 'success', task_id: task.id, message: '任务已删除' };
  });

  return router;
}
