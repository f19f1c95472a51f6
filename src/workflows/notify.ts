/**
 * The webhook events a task's run raises: each starts a webhookDeliveryWorkflow and goes on at once
 * (the delivery is left running when the run closes). Only what the run's plan names is raised;
 * runs without a plan (no webhook, or begun before webhooks) raise nothing and replay unchanged.
 */
import { ChildWorkflowCancellationType, log, ParentClosePolicy, startChild, uuid4 } from '@temporalio/workflow';
import type { WebhookEvent } from '../contract/index.js';
import type { WebhookPlan } from './types.js';
import { webhookDeliveryWorkflow } from './webhook-delivery.js';

export interface Notifier {
  raise(type: WebhookEvent): void;
  /** A task.progress with the run's counts, unless one was raised less than the plan's interval ago. */
  progress(pages: { done: number; failed: number }): void;
  /** Resolves once every raised event's delivery has started (before the run may close). */
  started(): Promise<void>;
}

export function createNotifier(taskId: string, plan: WebhookPlan | undefined): Notifier {
  const starting: Promise<void>[] = [];
  let lastProgressAt = -Infinity;
  const wants = (type: WebhookEvent) => plan?.events.includes(type) ?? false;

  function raise(type: WebhookEvent, pages?: { done: number; failed: number }): void {
    if (!plan || !wants(type)) return;
    // uuid4 and Date.now are the workflow's: the same on replay.
    const eventId = `msg_${uuid4().replaceAll('-', '')}`;
    starting.push(startChild(webhookDeliveryWorkflow, {
      workflowId: `${taskId}-webhook-${eventId}`,
      args: [{ taskId, eventId, type, occurredAt: Date.now(), retryMs: plan.retryMs, ...(pages ? { pages } : {}) }],
      // The delivery outlives the run, and a cancelled task still delivers its task.cancelled.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    }).then(() => undefined, (err: unknown) => {
      log.warn('could not start a webhook delivery', { taskId, type, error: (err as Error).message });
    }));
  }

  return {
    raise: (type) => raise(type),
    progress(pages) {
      if (!plan || !wants('task.progress') || Date.now() - lastProgressAt < plan.progressIntervalMs) return;
      lastProgressAt = Date.now();
      raise('task.progress', pages);
    },
    async started() {
      await Promise.all(starting);
    },
  };
}
