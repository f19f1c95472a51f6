/** SQL for webhook events and their deliveries (sql/014); the rules are in activities/webhooks.ts. */
import type { WebhookEvent, WebhookOutcome, WebhookTarget } from '../contract/index.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

export interface NewWebhookEvent {
  id: string;
  taskId: string;
  type: WebhookEvent;
  body: string;
  occurredAt: Date;
  deliveries: Array<{ target: WebhookTarget; url: string }>;
}

/**
 * Stores the event and one pending delivery per URL, once: a repeat (the activity retried after it
 * had stored them) keeps what the first stored. Answers the event's targets as stored.
 */
export async function insertWebhookEvent(pool: Pool, event: NewWebhookEvent): Promise<WebhookTarget[]> {
  return withTransaction(pool, async (db) => {
    const inserted = await db.query(
      `insert into webhook_events (id, task_id, type, body, occurred_at) values ($1, $2, $3, $4, $5) on conflict (id) do nothing`,
      [event.id, event.taskId, event.type, event.body, event.occurredAt],
    );
    if (inserted.rowCount === 1) {
      for (const d of event.deliveries) {
        await db.query('insert into webhook_deliveries (event_id, target, url) values ($1, $2, $3)', [event.id, d.target, d.url]);
      }
    }
    const { rows } = await db.query<{ target: WebhookTarget }>('select target from webhook_deliveries where event_id = $1 order by target', [event.id]);
    return rows.map((r) => r.target);
  });
}

export interface DeliveryRow {
  event_id: string;
  type: WebhookEvent;
  body: string;
  occurred_at: Date;
  target: WebhookTarget;
  url: string;
  attempts: number;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  outcome: WebhookOutcome;
  delivered_at: Date | null;
}

const DELIVERY_COLUMNS = `d.event_id, e.type, e.body, e.occurred_at, d.target, d.url, d.attempts, d.last_attempt_at, d.last_status_code,
  d.last_error, d.next_attempt_at, d.outcome, d.delivered_at`;

/** One delivery with its event; undefined when its task (and with it the event) was deleted. */
export async function getDelivery(db: Queryable, eventId: string, target: WebhookTarget): Promise<DeliveryRow | undefined> {
  const { rows: [row] } = await db.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_deliveries d join webhook_events e on e.id = d.event_id where d.event_id = $1 and d.target = $2`,
    [eventId, target],
  );
  return row;
}

/** Every delivery of the task's events, oldest event first. */
export async function listTaskDeliveries(db: Queryable, taskId: string): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_events e join webhook_deliveries d on d.event_id = e.id
      where e.task_id = $1 order by e.occurred_at, e.id, d.target`,
    [taskId],
  );
  return rows;
}

/** An attempt begins: counted before the request, so one lost with its worker still shows. */
export async function startAttempt(db: Queryable, eventId: string, target: WebhookTarget, attempt: number): Promise<void> {
  await db.query(
    `update webhook_deliveries set attempts = $3, last_attempt_at = now(), next_attempt_at = null
      where event_id = $1 and target = $2 and outcome = 'pending'`,
    [eventId, target, attempt],
  );
}

export interface AttemptEnd { statusCode: number | null; error: string | null }

/** The attempt did not deliver; the next is due at `nextAt`. */
export async function recordRetry(db: Queryable, eventId: string, target: WebhookTarget, end: AttemptEnd, nextAt: Date): Promise<void> {
  await db.query(
    `update webhook_deliveries set last_status_code = $3, last_error = $4, next_attempt_at = $5
      where event_id = $1 and target = $2 and outcome = 'pending'`,
    [eventId, target, end.statusCode, end.error, nextAt],
  );
}

/**
 * The delivery has its outcome (`delivered` or `failed`); true when this call gave it (a pending
 * delivery), false when it already had one. `end`: the last attempt's, when there was one.
 */
export async function recordDeliveryOutcome(db: Queryable, eventId: string, target: WebhookTarget, outcome: Exclude<WebhookOutcome, 'pending'>, end?: AttemptEnd): Promise<boolean> {
  const { rowCount } = await db.query(
    `update webhook_deliveries set outcome = $3, next_attempt_at = null,
        delivered_at = case when $3 = 'delivered' then now() end,
        last_status_code = case when $4 then $5 else last_status_code end,
        last_error = case when $4 then $6 else last_error end
      where event_id = $1 and target = $2 and outcome = 'pending'`,
    [eventId, target, outcome, end !== undefined, end?.statusCode ?? null, end?.error ?? null],
  );
  return rowCount === 1;
}
