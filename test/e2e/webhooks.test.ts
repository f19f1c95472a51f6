/**
 * Signed webhooks against a real receiver that verifies every signature with `standardwebhooks`:
 * the final event of each outcome, started and progress events (rate-limited), retries through
 * 5xx, 429 with Retry-After, a receiver that is down or hangs, a 410 that ends the delivery, and
 * what GET /api/tasks/{id}/webhooks and /metrics show. Bad and private URLs are refused at submit.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { TaskWebhooks, WebhookPayload } from '../../src/contract/index.js';
import { newWebhookSecret } from '../../src/webhooks/settings.js';
import { taggedImage } from '../helpers/images.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, fileForm, getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const secret = newWebhookSecret();
let stack: Stack;
let receiver: WebhookReceiver;

before(async () => {
  receiver = await startWebhookReceiver(secret);
  stack = await startStack({
    env: { WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_PROGRESS_INTERVAL: '1', MAX_RETRIES: '1', BATCH_SIZE: '1', CONCURRENCY: '2', PDF_DPI: '72' },
  });
});
after(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function submit(route: 'image' | 'pdf', bytes: Buffer, fields: Record<string, string>, on: Stack = stack) {
  const form = fileForm(bytes, route === 'pdf' ? 'doc.pdf' : 'page.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const res = await fetch(`${on.api}/api/async/${route}`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function submitted(route: 'image' | 'pdf', bytes: Buffer, fields: Record<string, string>): Promise<string> {
  const { status, body } = await submit(route, bytes, fields);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

const webhooksOf = async (taskId: string) => (await getJson<TaskWebhooks>(`${stack.api}/api/tasks/${taskId}/webhooks`)).body;

/** Waits until every delivery of the task's events has an outcome. */
const settled = (taskId: string, events = 1) => eventually(async () => {
  const answer = await webhooksOf(taskId);
  const deliveries = answer.events.flatMap((e) => e.deliveries);
  return answer.events.length >= events && deliveries.every((d) => d.outcome !== 'pending') ? answer : undefined;
}, `the webhooks of ${taskId} to settle`, 60_000);

describe('final events', () => {
  test('a completed task posts task.completed, signed, with the thin payload and no content', async () => {
    const path = '/completed';
    const taskId = await submitted('pdf', makePdf([9101, 9102]), { webhook_url: receiver.url(path) });
    const [hook] = await receiver.waitFor(path);
    const task = await waitForTask(stack, taskId);
    assert.equal(task.status, 'completed');
    const payload: WebhookPayload = hook!.payload;
    assert.equal(payload.type, 'task.completed');
    assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
    assert.match(hook!.id, /^msg_[0-9a-f]{32}$/);
    assert.ok(Math.abs(hook!.timestamp * 1000 - Date.now()) < 60_000, 'webhook-timestamp is the attempt time, in seconds');
    assert.equal(hook!.headers['content-type'], 'application/json');
    const { data } = payload;
    assert.deepEqual(
      { task_id: data.task_id, status: data.status, file_name: data.file_name, total: data.total_pages, ok: data.successful_pages, failed: data.failed_pages, code: data.error_code },
      { task_id: taskId, status: 'completed', file_name: 'doc.pdf', total: 2, ok: 2, failed: 0, code: null },
    );
    assert.equal(data.usage.model, 'stub-model');
    assert.ok(data.usage.prompt_tokens > 0);
    assert.deepEqual(data.links, {
      task: `/api/tasks/${taskId}`, result: `/api/tasks/${taskId}/result`,
      export_md: `/api/tasks/${taskId}/export?format=md`, export_json: `/api/tasks/${taskId}/export?format=json`,
    });
    // The links work as they are with the password as a Bearer token.
    const linked = await fetch(`${stack.origin}${data.links.task}`, { headers: { authorization: `Bearer ${stack.config.http.password}` } });
    assert.equal(linked.status, 200);
    assert.doesNotMatch(hook!.raw, /stub-answer|9101/, 'no document content in the body');
    assert.ok(!hook!.raw.includes(stack.config.http.password), 'nor the password');

    const answer = await settled(taskId);
    assert.equal(answer.events.length, 1);
    const [event] = answer.events;
    assert.equal(event!.id, hook!.id);
    assert.equal(event!.type, 'task.completed');
    assert.deepEqual(event!.deliveries.map((d) => [d.target, d.url, d.attempts, d.last_status_code, d.outcome]), [['task', receiver.url(path), 1, 200, 'delivered']]);
    assert.ok(event!.deliveries[0]!.delivered_at);
    // Nothing more comes for this task.
    await sleep(500);
    assert.equal(receiver.at(path).length, 1);
    const metrics = await (await fetch(`${stack.api}/metrics`)).text();
    assert.match(metrics, /ocr_webhook_deliveries_total\{event="task.completed",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /ocr_webhook_delivery_latency_seconds_count\{event="task.completed"\} [1-9]/);
  });

  test('partial, failed and cancelled tasks post their own final event with their error', async () => {
    stack.stub.script([{ kind: 'status', status: 502, message: 'bad gateway' }], 9112);
    const partial = await submitted('pdf', makePdf([9111, 9112]), { webhook_url: receiver.url('/partial') });
    stack.stub.script([{ kind: 'status', status: 401, message: 'bad key' }], 9121);
    const failed = await submitted('image', await taggedImage(9121), { webhook_url: receiver.url('/failed') });
    stack.stub.script([{ kind: 'hang' }], 9131);
    const cancelled = await submitted('image', await taggedImage(9131), { webhook_url: receiver.url('/cancelled') });
    await eventually(() => (stack.stub.callsFor(9131).length > 0 ? true : undefined), 'the hanging call');
    assert.equal((await fetch(`${stack.api}/api/tasks/${cancelled}/cancel`, { method: 'POST' })).status, 202);

    const [p] = await receiver.waitFor('/partial');
    assert.deepEqual([p!.payload.type, p!.payload.data.task_id, p!.payload.data.successful_pages, p!.payload.data.failed_pages], ['task.partial', partial, 1, 1]);
    const [f] = await receiver.waitFor('/failed');
    assert.equal(f!.payload.type, 'task.failed');
    assert.equal(f!.payload.data.task_id, failed);
    assert.ok(f!.payload.data.error_code, 'a failed task says why');
    const [c] = await receiver.waitFor('/cancelled');
    assert.deepEqual([c!.payload.type, c!.payload.data.status], ['task.cancelled', 'cancelled']);
    assert.equal((await waitForTask(stack, cancelled)).status, 'cancelled');
  });

  test('task.started and rate-limited task.progress come when asked for, before the final event', async () => {
    const path = '/progress';
    stack.stub.latencyMs = 250;
    try {
      const taskId = await submitted('pdf', makePdf(pageTags(10, 9201)), { webhook_url: receiver.url(path), webhook_events: 'task.progress, task.started,task.completed' });
      await waitForTask(stack, taskId);
      const all = await eventually(() => {
        const got = receiver.at(path);
        return got.some((r) => r.payload.type === 'task.completed') ? got : undefined;
      }, 'the final event');
      const types = [...all].sort((a, b) => Date.parse(a.payload.timestamp) - Date.parse(b.payload.timestamp)).map((r) => r.payload.type);
      assert.equal(types[0], 'task.started');
      assert.equal(types.at(-1), 'task.completed');
      const progress = all.filter((r) => r.payload.type === 'task.progress');
      assert.ok(progress.length >= 1, 'ten batches of 250 ms give progress');
      const times = progress.map((r) => Date.parse(r.payload.timestamp)).sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 1000, `at most one progress event a second (${times.join(', ')})`);
      for (const r of progress) {
        assert.equal(r.payload.data.status, 'processing');
        assert.ok(r.payload.data.successful_pages < 10);
      }
      assert.equal(new Set(all.map((r) => r.id)).size, all.length, 'one id per event');
    } finally {
      stack.stub.latencyMs = 0;
    }
  });
});

test('on the batch route the webhook applies to each file\'s task', async () => {
  const path = '/batch';
  const form = new FormData();
  form.append('webhook_url', receiver.url(path));
  form.append('files', new Blob([new Uint8Array(await taggedImage(9151))]), 'a.png');
  form.append('files', new Blob([new Uint8Array(makePdf([9152]))]), 'b.pdf');
  const res = await fetch(`${stack.api}/api/async/batch`, { method: 'POST', body: form });
  const body = (await res.json()) as { submitted_tasks: Array<{ task_id: string }> };
  assert.equal(res.status, 200, JSON.stringify(body));
  const hooks = await receiver.waitFor(path, 2);
  assert.deepEqual(new Set(hooks.map((h) => h.payload.data.task_id)), new Set(body.submitted_tasks.map((t) => t.task_id)));
  assert.deepEqual(hooks.map((h) => h.payload.type), ['task.completed', 'task.completed']);
});

describe('retries', () => {
  test('500, 500, then 200: three attempts under one webhook-id, delivered once', async () => {
    const path = '/flaky';
    receiver.script(path, [{ status: 500 }, { status: 503 }]);
    const taskId = await submitted('image', await taggedImage(9301), { webhook_url: receiver.url(path) });
    const hooks = await receiver.waitFor(path, 3);
    assert.equal(new Set(hooks.map((h) => h.id)).size, 1, 'the same webhook-id on every attempt');
    assert.equal(new Set(hooks.map((h) => h.raw)).size, 1, 'the same body');
    assert.ok(hooks[1]!.at - hooks[0]!.at >= 900 && hooks[2]!.at - hooks[1]!.at >= 1900, 'backoff of 1 s, then 2 s');
    const answer = await settled(taskId);
    assert.deepEqual(answer.events[0]!.deliveries.map((d) => [d.attempts, d.last_status_code, d.outcome]), [[3, 200, 'delivered']]);
    await sleep(500);
    assert.equal(receiver.at(path).length, 3);
  });

  test('429 with Retry-After waits as long as the receiver asked', async () => {
    const path = '/limited';
    receiver.script(path, [{ status: 429, headers: { 'retry-after': '3' } }]);
    await submitted('image', await taggedImage(9311), { webhook_url: receiver.url(path) });
    const [first, second] = await receiver.waitFor(path, 2);
    assert.ok(second!.at - first!.at >= 2900, `the second attempt came ${second!.at - first!.at} ms after the first`);
  });

  test('a receiver that is down for a while gets the event once it is up, and the wait is visible meanwhile', async () => {
    const path = '/down';
    await receiver.down();
    let taskId: string;
    try {
      taskId = await submitted('image', await taggedImage(9321), { webhook_url: receiver.url(path) });
      const pending = await eventually(async () => {
        const d = (await webhooksOf(taskId)).events[0]?.deliveries[0];
        return d && d.attempts >= 2 && d.next_attempt_at ? d : undefined;
      }, 'a second refused attempt');
      assert.equal(pending.outcome, 'pending');
      assert.match(pending.last_error ?? '', /ECONNREFUSED/);
      assert.equal(pending.last_status_code, null);
    } finally {
      await receiver.up();
    }
    const [hook] = await receiver.waitFor(path, 1, 30_000);
    const answer = await settled(taskId);
    assert.equal(answer.events[0]!.id, hook!.id);
    assert.equal(answer.events[0]!.deliveries[0]!.outcome, 'delivered');
    assert.equal(receiver.at(path).length, 1, 'delivered once');
  });

  test('410 ends the delivery as failed, with no more attempts', async () => {
    const path = '/gone';
    receiver.script(path, [{ status: 410 }]);
    const taskId = await submitted('image', await taggedImage(9331), { webhook_url: receiver.url(path) });
    const answer = await settled(taskId);
    assert.deepEqual(answer.events[0]!.deliveries.map((d) => [d.attempts, d.last_status_code, d.outcome, d.last_error]), [[1, 410, 'failed', 'HTTP 410']]);
    assert.equal((await waitForTask(stack, taskId)).status, 'completed', "the task's status does not depend on its webhook");
    await sleep(2500);
    assert.equal(receiver.at(path).length, 1);
    const metrics = await (await fetch(`${stack.api}/metrics`)).text();
    assert.match(metrics, /ocr_webhook_deliveries_total\{event="task.completed",outcome="failed"\} [1-9]/);
  });

  test('a receiver that never answers is given up on after 10 s and tried again', async () => {
    const path = '/hang';
    receiver.script(path, ['hang']);
    const taskId = await submitted('image', await taggedImage(9341), { webhook_url: receiver.url(path) });
    const [first, second] = await receiver.waitFor(path, 2, 40_000);
    assert.equal(first!.id, second!.id);
    assert.ok(second!.at - first!.at >= 10_000, `the second attempt came ${second!.at - first!.at} ms after the first`);
    const answer = await settled(taskId);
    assert.deepEqual(answer.events[0]!.deliveries.map((d) => [d.attempts, d.outcome]), [[2, 'delivered']]);
  });
});

describe('refused at submit', () => {
  const expect400 = async (on: Stack, fields: Record<string, string>, code: string, message: RegExp) => {
    const { status, body } = await submit('image', await taggedImage(9401), fields, on);
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(body.code, code);
    assert.match(String(body.detail), message);
  };

  test('bad URLs and bad event lists are a 400 naming the option', async () => {
    await expect400(stack, { webhook_url: 'ftp://example.com/hook' }, 'invalid_option', /^Option "webhook_url": expected an http\(s\) URL, not ftp$/);
    await expect400(stack, { webhook_url: 'not a url' }, 'invalid_option', /^Option "webhook_url": expected an http\(s\) URL/);
    await expect400(stack, { webhook_url: `https://example.com/${'a'.repeat(2000)}` }, 'invalid_option', /at most 2000 characters/);
    await expect400(stack, { webhook_url: 'https://user:pw@example.com/hook' }, 'invalid_option', /without a user name or password/);
    await expect400(stack, { webhook_url: receiver.url('/x'), webhook_events: 'task.done' }, 'invalid_option', /^Option "webhook_events": unknown event "task.done"/);
    await expect400(stack, { webhook_events: 'task.completed' }, 'invalid_option', /^Option "webhook_events": only with webhook_url$/);
  });

  test('without WEBHOOK_ALLOW_PRIVATE, loopback, private, link-local and metadata addresses are refused', async () => {
    const guarded = await startStack({ worker: false, env: { WEBHOOK_SECRET: secret } });
    try {
      for (const url of [
        receiver.url('/private'), 'http://localhost:8080/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook', 'http://192.168.0.10/hook',
        'http://169.254.169.254/latest/meta-data/', 'http://0x7f000001/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://100.64.0.1/hook', 'http://0.0.0.0/hook',
      ]) {
        await expect400(guarded, { webhook_url: url }, 'invalid_option', /^Option "webhook_url": .* resolves to .*, which is not a public internet address$/);
      }
      await expect400(guarded, { webhook_url: 'http://no-such-host.invalid/hook' }, 'invalid_option', /^Option "webhook_url": no-such-host.invalid does not resolve$/);
      const { rows } = await guarded.pool.query<{ n: number }>('select count(*)::int as n from tasks');
      assert.equal(rows[0]!.n, 0, 'no task was made');
    } finally {
      await guarded.stop();
    }
    assert.equal(receiver.at('/private').length, 0);
  });

  test('the secret appears in no answer and not in the OpenAPI document', async () => {
    const openapi = await (await fetch(`${stack.origin}/openapi.json`)).text();
    assert.match(openapi, /webhook_url/);
    assert.match(openapi, /getTaskWebhooks/);
    const key = secret.slice('whsec_'.length);
    assert.ok(!openapi.includes(key));
    const list = await (await fetch(`${stack.api}/api/tasks`)).text();
    assert.ok(!list.includes(key));
    assert.deepEqual(receiver.rejected, [], 'every request the receiver got was signed correctly');
  });
});

test('an unknown task has no webhooks to list', async () => {
  const { status, body } = await getJson<{ code: string }>(`${stack.api}/api/tasks/00000000-0000-4000-8000-000000000000/webhooks`);
  assert.equal(status, 404);
  assert.equal(body.code, 'task_not_found');
});
