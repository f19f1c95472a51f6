/**
 * Activities of webhookDeliveryWorkflow: store an event with its receivers, deliver it to one of
 * them (one attempt per activity attempt; Temporal runs the next after the wait this one chose),
 * and record a delivery that ran out of time.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../config.js';
import type { WebhookTarget } from '../contract/index.js';
import type { Metrics } from '../metrics/registry.js';
import type { Pricing } from '../pricing.js';
import type { Pool } from '../store/pool.js';
import { getTask } from '../store/tasks.js';
import {
  getDelivery, insertWebhookEvent, recordDeliveryOutcome, recordRetry, startAttempt, type AttemptEnd, type DeliveryRow,
} from '../store/webhooks.js';
import { webhookPayload } from '../webhooks/payload.js';
import { retryDelayMs } from '../webhooks/retry.js';
import { sendWebhook, type SendResult } from '../webhooks/send.js';
import { receiversOf } from '../webhooks/targets.js';
import { WEBHOOK_REFUSED, type WebhookDeliveryInput } from '../workflows/types.js';

export interface WebhookActivityDeps {
  pool: Pool;
  webhooks: WebhookConfig;
  /** PUBLIC_URL, for the payload's links. */
  publicUrl: string;
  pricing: Pricing;
  metrics: Metrics;
  log: Logger;
}

export interface DeliverInput { eventId: string; target: WebhookTarget; giveUpAt: number }
export interface GaveUpInput { eventId: string; target: WebhookTarget; reason: string }

const HEARTBEAT_INTERVAL_MS = 1_000;

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const { pool, log, metrics } = deps;
  // The secret stays in this closure: never in an activity's input, a log line or an answer.
  const signer = deps.webhooks.secret ? new Webhook(deps.webhooks.secret) : undefined;

  /** Gives the delivery its outcome once (a repeat after a crash changes nothing) and counts it. */
  async function conclude(row: Pick<DeliveryRow, 'event_id' | 'target' | 'type' | 'occurred_at' | 'attempts'>, outcome: 'delivered' | 'failed', end?: AttemptEnd): Promise<void> {
    if (!(await recordDeliveryOutcome(pool, row.event_id, row.target, outcome, end))) return;
    metrics.webhookDeliveries.inc({ event: row.type, outcome });
    if (outcome === 'delivered') metrics.webhookLatency.observe({ event: row.type }, (Date.now() - row.occurred_at.getTime()) / 1000);
    const fields = { eventId: row.event_id, event: row.type, target: row.target, attempts: row.attempts, statusCode: end?.statusCode };
    if (outcome === 'delivered') log.info(fields, 'webhook delivered');
    else log.warn({ ...fields, error: end?.error }, 'webhook delivery failed');
  }

  return {
    /** Stores the event (its body as the task is now) and its deliveries, once; answers its receivers. */
    async prepareWebhook(input: WebhookDeliveryInput): Promise<WebhookTarget[]> {
      const task = await getTask(pool, input.taskId);
      // Deleted meanwhile: nobody is told about a task that no longer exists.
      if (!task) return [];
      const receivers = receiversOf(task.options, deps.webhooks).filter((r) => r.events.includes(input.type));
      if (receivers.length === 0) return [];
      const occurredAt = new Date(input.occurredAt);
      const body = JSON.stringify(webhookPayload(task, { type: input.type, occurredAt, pages: input.pages }, deps.publicUrl, deps.pricing));
      return insertWebhookEvent(pool, {
        id: input.eventId, taskId: task.id, type: input.type, body, occurredAt, deliveries: receivers.map(({ target, url }) => ({ target, url })),
      });
    },

    /**
     * One attempt. Delivered: done. Refused (another 4xx, a redirect, a private address): failed,
     * and Temporal is told not to retry. Otherwise the next attempt is due after backoff or the
     * receiver's Retry-After, unless that falls after `giveUpAt`.
     */
    async deliverWebhook(input: DeliverInput): Promise<void> {
      const row = await getDelivery(pool, input.eventId, input.target);
      // Its task was deleted, or an earlier attempt already ended it (the worker died before reporting).
      if (!row || row.outcome !== 'pending') return;
      if (!signer) throw ApplicationFailure.create({ type: WEBHOOK_REFUSED, message: 'WEBHOOK_SECRET is not set on this worker', nonRetryable: true });
      const attempt = row.attempts + 1;
      await startAttempt(pool, row.event_id, row.target, attempt);
      const ctx = Context.current();
      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
      let result: SendResult;
      try {
        result = await sendWebhook({
          url: row.url, id: row.event_id, body: row.body, signer, publicOnly: row.target === 'task' && !deps.webhooks.allowPrivate,
        });
      } finally {
        clearInterval(heartbeat);
      }
      const end: AttemptEnd = { statusCode: result.statusCode, error: result.kind === 'delivered' ? null : result.error };
      const counted = { ...row, attempts: attempt };
      metrics.webhookAttempts.inc({ event: row.type, result: result.kind });
      if (result.kind === 'delivered') return conclude(counted, 'delivered', end);
      if (result.kind === 'refused') {
        await conclude(counted, 'failed', end);
        throw ApplicationFailure.create({ type: WEBHOOK_REFUSED, message: result.error, nonRetryable: true });
      }
      const delayMs = retryDelayMs(attempt, result.retryAfterMs);
      if (Date.now() + delayMs > input.giveUpAt) {
        await conclude(counted, 'failed', { ...end, error: `gave up after ${attempt} attempts: ${result.error}` });
        throw ApplicationFailure.create({ type: WEBHOOK_REFUSED, message: `gave up after ${attempt} attempts`, nonRetryable: true });
      }
      await recordRetry(pool, row.event_id, row.target, end, new Date(Date.now() + delayMs));
      log.info({ eventId: row.event_id, event: row.type, target: row.target, attempt, error: result.error, delayMs }, 'webhook not delivered, retrying');
      throw ApplicationFailure.create({ type: 'WebhookNotDelivered', message: result.error, nextRetryDelay: delayMs });
    },

    /** Temporal gave up on the delivery (its window closed without an attempt ending it). */
    async webhookGaveUp(input: GaveUpInput): Promise<void> {
      const row = await getDelivery(pool, input.eventId, input.target);
      if (row) await conclude(row, 'failed', { statusCode: row.last_status_code, error: `gave up: ${input.reason}` });
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
