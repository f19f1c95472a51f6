/** GET /api/tasks/{id}/webhooks: a task's events with their deliveries (contract/webhooks.ts). */
import type { TaskWebhooks, WebhookEventView } from '../../contract/index.js';
import type { DeliveryRow } from '../../store/webhooks.js';

const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

/** The URL without its query string (or fragment), which may hold a receiver's token. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  const hidden = parsed.search !== '' || parsed.hash !== '';
  return `${parsed.origin}${parsed.pathname}${hidden ? '?…' : ''}`;
}

export function taskWebhooks(taskId: string, rows: DeliveryRow[]): TaskWebhooks {
  const events = new Map<string, WebhookEventView>();
  for (const row of rows) {
    let event = events.get(row.event_id);
    if (!event) {
      event = { id: row.event_id, type: row.type, occurred_at: row.occurred_at.toISOString(), deliveries: [] };
      events.set(row.event_id, event);
    }
    event.deliveries.push({
      target: row.target,
      url: shownUrl(row.url),
      attempts: row.attempts,
      last_attempt_at: isoOrNull(row.last_attempt_at),
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      next_attempt_at: isoOrNull(row.next_attempt_at),
      outcome: row.outcome,
      delivered_at: isoOrNull(row.delivered_at),
    });
  }
  return { status: 'success', task_id: taskId, events: [...events.values()] };
}
