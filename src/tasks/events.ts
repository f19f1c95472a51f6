/**
 * The task events, built here against the contract's types and sent through Postgres NOTIFY in the
 * transaction of the change they describe (so they are delivered exactly when it is visible).
 */
import type { FinalTaskStatus, PageCompletedEvent, TaskCounts, TaskFinishedEvent, TaskStartedEvent } from '../contract/index.js';
import type { PageResult } from '../store/pages.js';

export const taskStartedEvent = (taskId: string): TaskStartedEvent => ({ type: 'task_started', task_id: taskId });

export const pageCompletedEvent = (page: PageResult, progress: TaskCounts): PageCompletedEvent => ({
  type: 'page_completed',
  task_id: page.taskId,
  page_number: page.pageNumber,
  status: page.status,
  content_length: page.content?.length ?? 0,
  processing_time: page.processingMs / 1000,
  error_message: page.errorMessage,
  warnings: page.warnings,
  progress,
});

export const taskFinishedEvent = (taskId: string, status: FinalTaskStatus): TaskFinishedEvent =>
  ({ type: 'task_finished', task_id: taskId, status });
