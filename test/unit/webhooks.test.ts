/** Webhook rules without a network: backoff and Retry-After, event lists, secrets, payloads, and which addresses are public. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { isPublicAddress } from '../../src/net/public-address.js';
import { webhookPayload } from '../../src/webhooks/payload.js';
import { parseRetryAfter, retryDelayMs } from '../../src/webhooks/retry.js';
import { newWebhookSecret, parseWebhookEvents, webhookSecretProblem } from '../../src/webhooks/settings.js';
import { receiversOf, wantedEvents } from '../../src/webhooks/targets.js';
import { parseConfig } from '../../src/config.js';
import type { TaskRow } from '../../src/store/tasks.js';

test('backoff doubles from a second up to half an hour; a Retry-After wins, but never under a second', () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 40].map((n) => retryDelayMs(n)), [1000, 2000, 4000, 8000, 1_024_000, 1_800_000, 1_800_000]);
  assert.equal(retryDelayMs(1, 120_000), 120_000);
  assert.equal(retryDelayMs(9, 0), 1000);
});

test('Retry-After as seconds or as an HTTP date; anything else is ignored', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 5 ', now), 5000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 10:01:30 GMT', now), 90_000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 09:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-3', now), undefined);
});

test('event lists: known names, each once, in the documented order', () => {
  assert.deepEqual(parseWebhookEvents('task.completed, task.started,task.completed'), ['task.started', 'task.completed']);
  assert.throws(() => parseWebhookEvents(' , '), /expected a comma-separated list/);
  assert.throws(() => parseWebhookEvents('task.completed,task.finished'), /unknown event "task.finished"/);
});

test('a fresh secret is one the specification and its library accept, and signs what the library verifies', () => {
  const secret = newWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(webhookSecretProblem(secret), undefined);
  assert.notEqual(newWebhookSecret(), secret);
  const hook = new Webhook(secret);
  const at = new Date();
  const signature = hook.sign('msg_1', at, '{"a":1}');
  assert.deepEqual(hook.verify('{"a":1}', { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature }), { a: 1 });
  assert.equal(webhookSecretProblem(`whsec_${Buffer.alloc(16).toString('base64')}`), '16 bytes');
  assert.equal(webhookSecretProblem(`whsec_${Buffer.alloc(65).toString('base64')}`), '65 bytes');
});

test('receivers: the task\'s URL with its events (final by default) and the service\'s; none without a secret', () => {
  const config = parseConfig({ WEBHOOK_SECRET: newWebhookSecret(), WEBHOOK_URL: 'https://ops.example.com/hook', WEBHOOK_EVENTS: 'task.failed' }).webhooks;
  const task = receiversOf({ webhook_url: 'https://me.example.com/a' }, config);
  assert.deepEqual(task, [
    { target: 'task', url: 'https://me.example.com/a', events: ['task.completed', 'task.partial', 'task.failed', 'task.cancelled'] },
    { target: 'service', url: 'https://ops.example.com/hook', events: ['task.failed'] },
  ]);
  assert.deepEqual(wantedEvents(receiversOf({ webhook_url: 'https://me.example.com/a', webhook_events: ['task.progress'] }, config)), ['task.progress', 'task.failed']);
  assert.deepEqual(receiversOf({ webhook_url: 'https://me.example.com/a' }, { ...config, secret: undefined }), []);
  assert.deepEqual(wantedEvents(receiversOf({}, { ...config, serviceUrl: undefined })), []);
});

test('a progress body says processing with the run\'s counts, even when the row has moved on; a final one tells the row', () => {
  const row = {
    id: 't1', status: 'completed', file_name: 'a.pdf', total_pages: 10, processed_pages: 9, failed_pages: 1, error_code: null, error_message: null,
    model: 'm', prompt_tokens: 5, completion_tokens: 6, tokens_estimated: false, reused_prompt_tokens: 0, reused_completion_tokens: 0,
  } as unknown as TaskRow;
  const at = new Date('2026-12-02T10:00:00Z');
  const progress = webhookPayload(row, { type: 'task.progress', occurredAt: at, pages: { done: 4, failed: 0 } }, '', { prices: {}, currency: 'USD' });
  assert.deepEqual([progress.data.status, progress.data.successful_pages, progress.data.failed_pages, progress.timestamp], ['processing', 4, 0, '2026-12-02T10:00:00.000Z']);
  const final = webhookPayload(row, { type: 'task.partial', occurredAt: at }, 'https://ocr.example.com', { prices: {}, currency: 'USD' });
  assert.deepEqual([final.data.status, final.data.successful_pages, final.data.failed_pages], ['completed', 9, 1]);
  assert.equal(final.data.links.result, 'https://ocr.example.com/api/tasks/t1/result');
});

test('public addresses only: loopback, private, link-local, CGNAT, unique-local, mapped and reserved ranges are not', () => {
  for (const address of ['8.8.8.8', '93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8']) assert.ok(isPublicAddress(address), address);
  for (const address of [
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '2002:7f00:1::', 'not-an-address',
  ]) assert.ok(!isPublicAddress(address), address);
});
