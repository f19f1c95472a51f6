/**
 * Who gets a task's events: its own webhook_url (the events it chose, by default the final ones)
 * and the service's WEBHOOK_URL (WEBHOOK_EVENTS). The worker asks this when a run starts (to know
 * which events to raise) and when an event is raised (to know where it goes).
 */
import { FINAL_WEBHOOK_EVENTS, WEBHOOK_EVENTS, type TaskOptions, type WebhookEvent, type WebhookTarget } from '../contract/index.js';
import type { WebhookConfig } from '../config.js';

export interface Receiver { target: WebhookTarget; url: string; events: readonly WebhookEvent[] }

export function receiversOf(options: TaskOptions, config: WebhookConfig): Receiver[] {
  // Nothing is sent unsigned: without a secret (which the API and the config insist on) nobody gets anything.
  if (!config.secret) return [];
  const receivers: Receiver[] = [];
  if (options.webhook_url) receivers.push({ target: 'task', url: options.webhook_url, events: options.webhook_events ?? FINAL_WEBHOOK_EVENTS });
  if (config.serviceUrl) receivers.push({ target: 'service', url: config.serviceUrl, events: config.serviceEvents });
  return receivers;
}

/** Every event some receiver of the task wants, in WEBHOOK_EVENTS order. */
export const wantedEvents = (receivers: readonly Receiver[]): WebhookEvent[] =>
  WEBHOOK_EVENTS.filter((event) => receivers.some((r) => r.events.includes(event)));
