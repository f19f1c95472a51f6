/**
 * Webhooks: the events a task can notify, the body a receiver gets, and how the deliveries of a
 * task's events are listed (GET /api/tasks/{id}/webhooks). Bodies are signed per Standard Webhooks
 * (headers webhook-id, webhook-timestamp, webhook-signature); they never carry document content.
 */
import type { FinalTaskStatus, TaskStatus } from './tasks.js';
import type { Usage } from './rest.js';

/** The events of a task's end, one per final status: what a webhook gets unless it asks for more. */
export const FINAL_WEBHOOK_EVENTS = ['task.completed', 'task.partial', 'task.failed', 'task.cancelled'] as const;
/** Every event, `noun.state`: `task.started` once a worker takes the task, `task.progress` as batches finish (rate-limited). */
export const WEBHOOK_EVENTS = ['task.started', 'task.progress', ...FINAL_WEBHOOK_EVENTS] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const finalEventOf = (status: FinalTaskStatus): WebhookEvent => `task.${status}`;

/** Links to what a receiver fetches next; absolute under PUBLIC_URL, else paths from the service root (they take `Authorization: Bearer`). */
export interface WebhookLinks { task: string; result: string; export_md: string; export_json: string }

/** The JSON body of every event. */
export interface WebhookPayload {
  type: WebhookEvent;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  data: {
    task_id: string;
    status: TaskStatus;
    file_name: string;
    total_pages: number;
    successful_pages: number;
    failed_pages: number;
    error_code: string | null;
    error_message: string | null;
    usage: Usage;
    links: WebhookLinks;
  };
}

export const WEBHOOK_OUTCOMES = ['pending', 'delivered', 'failed'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** `task`: the task's own webhook_url; `service`: the service-wide WEBHOOK_URL. */
export type WebhookTarget = 'task' | 'service';

/** One event's delivery to one URL. */
export interface WebhookDeliveryView {
  target: WebhookTarget;
  /** The receiver's URL without its query string (which may carry a token). */
  url: string;
  attempts: number;
  last_attempt_at: string | null;
  /** The receiver's last HTTP status; null when it never answered (refused, timed out). */
  last_status_code: number | null;
  /** Why the last attempt did not deliver (a connection error, a timeout, a status). */
  last_error: string | null;
  /** When the next attempt is due, while pending. */
  next_attempt_at: string | null;
  outcome: WebhookOutcome;
  delivered_at: string | null;
}

export interface WebhookEventView {
  /** The webhook-id header: the same on every attempt, so a receiver can drop repeats. */
  id: string;
  type: WebhookEvent;
  occurred_at: string;
  deliveries: WebhookDeliveryView[];
}

export interface TaskWebhooks { status: 'success'; task_id: string; events: WebhookEventView[] }
