/** Looks up the task a route names, or answers 404 as the old service did. */
import type { Queryable } from '../../store/pool.js';
import { getTask, type TaskRow } from '../../store/tasks.js';
import { httpError } from './errors.js';
import { taskPageNumbers } from '../../tasks/page-ranges.js';
import { pageNumber, PAGE_NUMBER_MESSAGE, taskId } from './schemas.js';

export { UUID } from './schemas.js';

/** A malformed id can name no task: same answer as an unknown one, and no query is made. */
export async function findTask(db: Queryable, id: string | undefined): Promise<TaskRow> {
  const parsed = taskId.safeParse(id);
  const task = parsed.success ? await getTask(db, parsed.data) : undefined;
  if (!task) throw httpError(404, 'task_not_found', '任务不存在');
  return task;
}

/** The page of the task a route names: a number from 1, and one of the task's pages (its `pages` option, or all). */
export function findTaskPage(task: TaskRow, raw: string | undefined): number {
  const parsed = pageNumber.safeParse(raw);
  if (!parsed.success) throw httpError(400, 'invalid_page_number', PAGE_NUMBER_MESSAGE);
  const n = parsed.data;
  if (!taskPageNumbers(task).includes(n)) {
    const which = task.options.pages ? `the task reads pages ${task.options.pages}` : `the task has ${task.total_pages} pages`;
    throw httpError(404, 'page_out_of_range', `页码超出范围 (${which})`);
  }
  return n;
}
