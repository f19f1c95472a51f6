/** Looks up the task a route names, or answers 404 as the seed did. */
import type { Queryable } from '../store/pool.js';
import { getTask, type TaskRow } from '../store/tasks.js';
import { httpError } from './errors.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id can name no task: same answer as an unknown one, and no query is made. */
export async function findTask(db: Queryable, id: string | undefined): Promise<TaskRow> {
  const task = id && UUID.test(id) ? await getTask(db, id) : undefined;
  if (!task) throw httpError(404, 'task_not_found', '任务不存在');
  return task;
}
