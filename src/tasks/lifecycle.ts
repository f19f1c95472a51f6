/** The common tail of every submit route: store the bytes, insert the task, start its workflow. */
import { randomUUID } from 'node:crypto';
import { storeFile } from '../store/files.js';
import { finishTask, insertTask, type TaskType } from '../store/tasks.js';
import { startTaskWorkflow, taskInput } from './runs.js';
import type { ApiDeps } from '../api/deps.js';
import { httpError } from '../api/http/errors.js';
import type { Upload } from '../api/http/upload.js';

export interface TaskSpec { taskType: TaskType; totalPages: number; source: string }

export async function createTask(deps: ApiDeps, upload: Upload & { mimeType: string }, spec: TaskSpec): Promise<string> {
  const id = randomUUID();
  const input = taskInput(deps.config, id, spec.totalPages);
  await storeFile(deps.pool, upload.path, { sha256: upload.sha256, sizeBytes: upload.size, mimeType: upload.mimeType });
  await insertTask(deps.pool, {
    id,
    taskType: spec.taskType,
    fileName: upload.fileName,
    fileSize: upload.size,
    fileSha256: upload.sha256,
    mimeType: upload.mimeType,
    totalPages: spec.totalPages,
    metadata: {
      source: spec.source, original_filename: upload.fileName, file_type: upload.mimeType, total_pages: spec.totalPages,
      batch_size: input.batchSize,
    },
  });
  try {
    await startTaskWorkflow(deps.temporal, deps.config.temporal.taskQueue, input, { taskType: spec.taskType, fileName: upload.fileName, totalPages: spec.totalPages });
  } catch (err) {
    deps.log.error({ err, taskId: id }, 'could not start the task workflow');
    const message = 'The task could not be queued because Temporal is unreachable; submit it again later';
    await finishTask(deps.pool, id, { status: 'failed', errorCode: 'temporal_unavailable', errorMessage: message, resultSummary: {} });
    throw httpError(503, 'temporal_unavailable', message);
  }
  deps.log.info({ taskId: id, taskType: spec.taskType, pages: spec.totalPages, size: upload.size }, 'task submitted');
  return id;
}
