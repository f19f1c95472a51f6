/**
 * The WebSocket protocol at /{PASSWORD}/ws: what clients send, and every message the server sends
 * (each with `type` and `timestamp`). The server's builders return these types and the web page
 * switches over them, so a new message or field is one edit here.
 */
import type { DetailedProgress, ResultSummary, TaskDetails, TaskSummary } from './rest.js';
import type { FinalTaskStatus, PageStatus, PageWarning, ResultStatus, TaskStatus, TaskType } from './tasks.js';

/** Client → server. */
export const TASK_CLIENT_MESSAGE_TYPES = ['subscribe_task', 'unsubscribe_task', 'get_task_status'] as const;
export type TaskClientMessageType = (typeof TASK_CLIENT_MESSAGE_TYPES)[number];
export type ClientMessage = { type: 'ping' } | { type: TaskClientMessageType; task_id: string };

/** Older clients' names for two of them. */
export const CLIENT_MESSAGE_ALIASES: Readonly<Record<string, TaskClientMessageType>> = { subscribe: 'subscribe_task', unsubscribe: 'unsubscribe_task' };

/** Close code for a connection replaced by a newer one with the same client_id. */
export const CLOSE_REPLACED = 4000;

interface Stamped { /** ISO-8601, when the server sent it. */ timestamp: string }

export interface ConnectionEstablishedMessage extends Stamped { type: 'connection_established'; client_id: string; /** Seconds between the server's pings. */ heartbeat_interval: number }
export interface PongMessage extends Stamped { type: 'pong' }
/** A bad client message (or a task that does not exist); the connection stays up. */
export interface ErrorMessage extends Stamped { type: 'error'; message: string; code: string; task_id?: string }
export interface TaskSubscribedMessage extends Stamped { type: 'task_subscribed'; task_id: string }
export interface TaskUnsubscribedMessage extends Stamped { type: 'task_unsubscribed'; task_id: string }
/** `task_info` is exactly what GET /api/tasks/{id} answers in `data`. */
export interface TaskStatusResponseMessage extends Stamped { type: 'task_status_response'; task_id: string; task_info: TaskDetails }

export interface TaskStartedMessage extends Stamped {
  type: 'task_started';
  task_id: string;
  task_type: TaskType;
  file_name: string;
  total_pages: number;
  started_at: string | null;
  /** A rough guess in seconds before any page is done; task_progress carries a measured ETA. */
  estimated_time: number;
}

export interface PageCompletedMessage extends Stamped {
  type: 'page_completed';
  task_id: string;
  data: { page_number: number; status: PageStatus; content_length: number; processing_time: number; error_message: string | null; warnings: PageWarning[] };
}

export interface TaskProgressMessage extends Stamped {
  type: 'task_progress';
  task_id: string;
  status: TaskStatus;
  processed: number;
  failed: number;
  total: number;
  progress: DetailedProgress['progress_percentage'];
  processing_rate: DetailedProgress['processing_rate'];
  eta_seconds: DetailedProgress['estimated_time_remaining'];
}

interface OutcomeFields<S extends FinalTaskStatus> extends Stamped { task_id: string; status: S; task: TaskSummary }
interface PartialResults { total_pages: number; processed_pages: number; failed_pages: number }

/** Also for `partial`, naming the failed pages: clients that know no `partial` still see the task finish. */
export interface TaskCompletedMessage extends OutcomeFields<ResultStatus> {
  type: 'task_completed';
  result_summary: ResultSummary | null;
  failed_page_numbers: number[];
  /** Images only: the first 500 characters. */
  content_preview?: string;
}
export interface TaskCancelledMessage extends OutcomeFields<'cancelled'> { type: 'task_cancelled'; reason: string; partial_results: PartialResults }
export interface TaskFailedMessage extends OutcomeFields<'failed'> {
  type: 'task_failed';
  error_code: string | null;
  error_message: string | null;
  failed_page: number | null;
  partial_results: PartialResults;
}

export type TaskOutcomeMessage = TaskCompletedMessage | TaskCancelledMessage | TaskFailedMessage;

export type ServerMessage =
  | ConnectionEstablishedMessage | PongMessage | ErrorMessage | TaskSubscribedMessage | TaskUnsubscribedMessage
  | TaskStatusResponseMessage | TaskStartedMessage | PageCompletedMessage | TaskProgressMessage | TaskOutcomeMessage;
export type ServerMessageType = ServerMessage['type'];
