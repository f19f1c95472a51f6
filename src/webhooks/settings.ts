/**
 * The vocabulary of webhook settings shared by the config (WEBHOOK_EVENTS, WEBHOOK_SECRET) and the
 * submit options (webhook_events): event lists and secrets, parsed and made.
 */
import { randomBytes } from 'node:crypto';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../contract/index.js';

/** A comma-separated list of event names, as stored: known ones only, each once, in WEBHOOK_EVENTS order. */
export function parseWebhookEvents(list: string): WebhookEvent[] {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new Error(`expected a comma-separated list of ${WEBHOOK_EVENTS.join(', ')}`);
  for (const name of names) {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(name)) throw new Error(`unknown event "${name}"; expected some of ${WEBHOOK_EVENTS.join(', ')}`);
  }
  return WEBHOOK_EVENTS.filter((event) => names.includes(event));
}

const PREFIX = 'whsec_';
/** The Standard Webhooks specification's bounds for a signing key. */
const KEY_BYTES = { min: 24, max: 64 } as const;
export const WEBHOOK_SECRET_RULE = `expected ${PREFIX} followed by the base64 of ${KEY_BYTES.min} to ${KEY_BYTES.max} random bytes (make one with \`ocr webhook-secret\`)`;

/** Why a secret is not one the specification allows, or undefined when it is (with or without the prefix). */
export function webhookSecretProblem(secret: string): string | undefined {
  const base64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'not base64';
  const bytes = Buffer.from(base64, 'base64').length;
  return bytes < KEY_BYTES.min || bytes > KEY_BYTES.max ? `${bytes} bytes` : undefined;
}

/** A fresh signing secret: 32 random bytes. */
export const newWebhookSecret = (): string => `${PREFIX}${randomBytes(32).toString('base64')}`;
