/** The body of a webhook event: the task's state when the event is raised, and links; never document content. */
import { FINAL_WEBHOOK_EVENTS, type WebhookEvent, type WebhookLinks, type WebhookPayload } from '../contract/index.js';
import { usageView, type Pricing } from '../pricing.js';
import type { TaskRow } from '../store/tasks.js';

/**
 * Links are absolute under `publicUrl` (PUBLIC_URL); without it they are paths from the service
 * root. They never hold the password: a receiver sends it as `Authorization: Bearer`.
 */
export function webhookLinks(taskId: string, publicUrl: string): WebhookLinks {
  const task = `${publicUrl}/api/tasks/${taskId}`;
  return { task, result: `${task}/result`, export_md: `${task}/export?format=md`, export_json: `${task}/export?format=json` };
}

export interface RaisedEvent {
  type: WebhookEvent;
  occurredAt: Date;
  /** The run's counts when it raised a task.progress. */
  pages?: { done: number; failed: number };
}

/**
 * The body is made a moment after the event is raised, from the task row: a task.started or
 * task.progress says `processing` and the run's counts even when the task has finished meanwhile
 * (its final event follows).
 */
export function webhookPayload(task: TaskRow, event: RaisedEvent, publicUrl: string, pricing: Pricing): WebhookPayload {
  const final = (FINAL_WEBHOOK_EVENTS as readonly WebhookEvent[]).includes(event.type);
  return {
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: {
      task_id: task.id,
      status: final ? task.status : 'processing',
      file_name: task.file_name,
      total_pages: task.total_pages,
      successful_pages: event.pages?.done ?? task.processed_pages,
      failed_pages: event.pages?.failed ?? task.failed_pages,
      error_code: task.error_code,
      error_message: task.error_message,
      usage: usageView(task, pricing),
      links: webhookLinks(task.id, publicUrl),
    },
  };
}
