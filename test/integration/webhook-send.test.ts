/**
 * One delivery attempt (webhooks/send.ts) against a real receiver: signed as the specification
 * says, redirects never followed, and with the guard on (a caller's URL, WEBHOOK_ALLOW_PRIVATE
 * unset) a loopback receiver is never connected to, whether named by address or by a name that
 * resolves to it — the check after DNS resolution that a submit-time check alone would miss.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../../src/webhooks/settings.js';
import { sendWebhook } from '../../src/webhooks/send.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const secret = newWebhookSecret();
const signer = new Webhook(secret);
const body = JSON.stringify({ type: 'task.completed', timestamp: new Date().toISOString(), data: { task_id: 't' } });
let receiver: WebhookReceiver;
let redirector: http.Server;
let redirectorUrl: string;
let redirectedTo = 0;

before(async () => {
  receiver = await startWebhookReceiver(secret);
  redirector = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/target') redirectedTo++;
    res.writeHead(307, { location: '/target' }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
after(async () => {
  await receiver?.close();
  redirector?.close();
});

test('a signed POST that the specification\'s library verifies; 2xx is delivered', async () => {
  const result = await sendWebhook({ url: receiver.url('/ok'), id: 'msg_abc', body, signer, publicOnly: false });
  assert.deepEqual(result, { kind: 'delivered', statusCode: 200 });
  const [got] = receiver.at('/ok');
  assert.equal(got!.id, 'msg_abc');
  assert.equal(got!.raw, body);
  assert.match(String(got!.headers['user-agent']), /^ocr-webhooks\//);
  assert.deepEqual(receiver.rejected, []);
});

test('what each answer means: 5xx, 408 and 429 are tried again (with Retry-After), other 4xx are not', async () => {
  receiver.script('/answers', [{ status: 503, headers: { 'retry-after': '7' } }, { status: 408 }, { status: 429 }, { status: 404 }, { status: 400 }]);
  const send = () => sendWebhook({ url: receiver.url('/answers'), id: 'msg_x', body, signer, publicOnly: false });
  assert.deepEqual(await send(), { kind: 'retry', statusCode: 503, error: 'HTTP 503', retryAfterMs: 7000 });
  assert.deepEqual(await send(), { kind: 'retry', statusCode: 408, error: 'HTTP 408' });
  assert.deepEqual(await send(), { kind: 'retry', statusCode: 429, error: 'HTTP 429' });
  assert.deepEqual(await send(), { kind: 'refused', statusCode: 404, error: 'HTTP 404' });
  assert.deepEqual(await send(), { kind: 'refused', statusCode: 400, error: 'HTTP 400' });
});

test('a dropped connection and a closed port are worth another attempt', async () => {
  receiver.script('/drop', ['drop']);
  const dropped = await sendWebhook({ url: receiver.url('/drop'), id: 'msg_d', body, signer, publicOnly: false });
  assert.equal(dropped.kind, 'retry');
  const closed = await sendWebhook({ url: 'http://127.0.0.1:9/hook', id: 'msg_c', body, signer, publicOnly: false });
  assert.equal(closed.kind, 'retry');
  assert.match(closed.kind === 'retry' ? closed.error : '', /ECONNREFUSED/);
});

test('a redirect is not followed', async () => {
  const result = await sendWebhook({ url: `${redirectorUrl}/hook`, id: 'msg_r', body, signer, publicOnly: false });
  assert.deepEqual(result, { kind: 'refused', statusCode: 307, error: 'HTTP 307: redirects are not followed' });
  assert.equal(redirectedTo, 0);
});

test('with the guard on, a loopback receiver is never reached, by address or by name', async () => {
  const port = new URL(receiver.url('/')).port;
  for (const url of [receiver.url('/guarded'), `http://localhost:${port}/guarded`, `http://[::ffff:127.0.0.1]:${port}/guarded`]) {
    const result = await sendWebhook({ url, id: 'msg_g', body, signer, publicOnly: true });
    assert.equal(result.kind, 'refused', url);
    assert.match(result.kind === 'refused' ? result.error : '', /resolves to .*, which is not a public internet address$/);
  }
  assert.equal(receiver.at('/guarded').length, 0);
});
