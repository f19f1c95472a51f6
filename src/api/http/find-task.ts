/** Looks up the task a route names, or answers 404 as the old service did. */
import type { Queryable } from '../../store/pool.js';
import { getTask, type TaskRow } from '../../store/tasks.js';
import { httpError } from './errors.js';
import { taskId } from './schemas.js';

export { UUID } from './schemas.js';

/** A malformed id can name no task: same answer as an unknown one, and no query is made. */
export async function findTask(db: Queryable, id: string | undefined): Promise<TaskRow> {
  const parsed = taskId.safeParse(id);
  const task = parsed.success ? await getTask(db, parsed.data) : undefined;
  if (!task) throw httpError(404, 'task_not_found', '任务不存在');
  return task;
}
