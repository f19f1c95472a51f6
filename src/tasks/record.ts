/**
 * The writes that move a task along as its run goes — started, each page, the outcome — each in one
 * transaction with the event that announces it. Activities call these; so does the API for a task
 * whose run never started (its outcome is recorded the same way).
 */
import { notifyTaskEvent } from '../store/events.js';
import { pageTotals, savePage, type PageResult } from '../store/pages.js';
import { withTransaction, type Pool } from '../store/pool.js';
import { getTask, lockTask, markTaskStarted, saveOutcome, type TaskOutcome } from '../store/tasks.js';
import { pageCompletedEvent, taskFinishedEvent, taskStartedEvent } from './events.js';
import { decideOutcome, type RunEnd } from './outcome.js';

/** pending → processing with the model its pages go to; announced only when the status changed. */
export async function recordStart(pool: Pool, taskId: string, model: string): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const started = await markTaskStarted(tx, taskId, model);
    if (started) await notifyTaskEvent(tx, taskStartedEvent(taskId));
    return started;
  });
}

/**
 * Saves a finished page (completed with its Markdown, or failed with its error: never as content)
 * and announces it with the task's new counts. Saving a page that is already completed is a no-op.
 */
export async function recordPage(pool: Pool, page: PageResult): Promise<void> {
  await withTransaction(pool, async (tx) => {
    if (!(await lockTask(tx, page.taskId))) return;
    const counts = await savePage(tx, page);
    if (counts) await notifyTaskEvent(tx, pageCompletedEvent(page, counts));
  });
}

/**
 * Decides the task's outcome from its pages (under the task's lock, so no page save slips in
 * between) and records and announces it. Undefined when the task no longer exists (deleted).
 */
export async function recordOutcome(pool: Pool, taskId: string, end: RunEnd): Promise<TaskOutcome | undefined> {
  return withTransaction(pool, async (tx) => {
    if (!(await lockTask(tx, taskId))) return undefined;
    const task = (await getTask(tx, taskId))!;
    const outcome = decideOutcome(task, await pageTotals(tx, taskId), end);
    await saveOutcome(tx, taskId, outcome);
    await notifyTaskEvent(tx, taskFinishedEvent(taskId, outcome.status));
    return outcome;
  });
}
