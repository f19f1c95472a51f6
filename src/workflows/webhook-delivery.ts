/**
 * webhookDeliveryWorkflow: one event of a task delivered to each of its receivers, retried by
 * Temporal with backoff for up to WEBHOOK_RETRY_HOURS. A workflow of its own (started by the task's
 * run and left running when that run closes), so the task's status and history never wait for a
 * receiver, a retry of the task can start at once, and a crash of any process resumes the delivery.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks.js';
import { WEBHOOK_REFUSED, webhookTaskQueue, type WebhookDeliveryInput } from './types.js';

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<void> {
  const giveUpAt = input.occurredAt + input.retryMs;
  // On the webhook queue: deliveries never wait behind pages for an activity slot.
  const taskQueue = webhookTaskQueue(workflowInfo().taskQueue);
  const { prepareWebhook, webhookGaveUp } = proxyActivities<WebhookActivities>({
    taskQueue,
    startToCloseTimeout: '1 minute',
    // Bookkeeping against Postgres: keep trying through a database restart.
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 50 },
  });
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    taskQueue,
    // One attempt: a 10 s answer and the bookkeeping around it. A worker that dies mid-attempt is
    // noticed by the missing heartbeats, and the attempt runs again elsewhere.
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '5 seconds',
    // The activity decides each wait itself (nextRetryDelay: backoff or the receiver's Retry-After)
    // and gives up at giveUpAt; this bounds it should no worker run it for that long.
    scheduleToCloseTimeout: input.retryMs + 10 * 60_000,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: [WEBHOOK_REFUSED] },
  });
  const targets = await prepareWebhook(input);
  await Promise.all(targets.map(async (target) => {
    try {
      await deliverWebhook({ eventId: input.eventId, target, giveUpAt });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      // A refusal is already recorded; anything else (the window closed on Temporal's side) is recorded here.
      if (!(cause instanceof ApplicationFailure && cause.type === WEBHOOK_REFUSED)) {
        await webhookGaveUp({ eventId: input.eventId, target, reason: (cause as Error | undefined)?.message ?? 'gave up' });
      }
    }
  }));
}
