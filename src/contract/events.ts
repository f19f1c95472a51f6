/**
 * Task events: what a worker (or an API process) announces to every API process when a task
 * changes, through Postgres NOTIFY in the same transaction as the change. They carry ids and
 * counts, never content (a NOTIFY payload is at most 8000 bytes). A listener treats them as hints:
 * after a lost connection it re-reads the tables.
 */
import type { FinalTaskStatus, PageStatus, PageWarning } from './tasks.js';

/** The task's page counters after the change. */
export interface TaskCounts { processed: number; failed: number; total: number }

/** pending → processing (a first run or a retry). */
export interface TaskStartedEvent { type: 'task_started'; task_id: string }

/** One page was saved, completed or failed. */
export interface PageCompletedEvent {
  type: 'page_completed';
  task_id: string;
  page_number: number;
  status: PageStatus;
  content_length: number;
  /** Seconds. */
  processing_time: number;
  error_message: string | null;
  warnings: PageWarning[];
  progress: TaskCounts;
}

/** The task has its outcome. */
export interface TaskFinishedEvent { type: 'task_finished'; task_id: string; status: FinalTaskStatus }

export type TaskEvent = TaskStartedEvent | PageCompletedEvent | TaskFinishedEvent;
export type TaskEventType = TaskEvent['type'];
