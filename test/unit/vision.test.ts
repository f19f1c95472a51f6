/** The error table, Retry-After parsing, backoff, the retry loop's temperatures and token sums, and the worker-wide limiter (replies: answer.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { classifyVisionError, parseRetryAfter, VisionError, type TokenUsage, type VisionErrorKind } from '../../src/vision/errors.js';
import type { RecognizeOptions, VisionClient } from '../../src/vision/client.js';
import { backoffDelay, recognizeWithRetries, sumUsage, TEMPERATURE_SCHEDULE, temperatureAfter } from '../../src/vision/retry.js';
import { createLimiter } from '../../src/activities/limiter.js';

const ctx = { baseUrl: 'https://api.example.com/v1', model: 'gpt-x', maxOutputTokens: 8192 };
const apiError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: `upstream says ${status}` }, undefined, new Headers(headers));

test('HTTP statuses map to kinds, retryability and scope', () => {
  const expected: Array<[number, string, boolean, 'page' | 'task']> = [
    [400, 'bad_request', false, 'page'], [401, 'auth', false, 'task'], [403, 'auth', false, 'task'],
    [404, 'model_not_found', false, 'task'], [413, 'bad_request', false, 'page'], [408, 'server_error', true, 'page'],
    [429, 'rate_limited', true, 'page'], [500, 'server_error', true, 'page'], [502, 'server_error', true, 'page'],
    [503, 'server_error', true, 'page'],
  ];
  for (const [status, kind, retryable, scope] of expected) {
    const e = classifyVisionError(apiError(status), ctx);
    assert.ok(e instanceof VisionError);
    assert.deepEqual([e.kind, e.retryable, e.scope], [kind, retryable, scope], `HTTP ${status}`);
    assert.match(e.message, new RegExp(`HTTP ${status}`));
  }
});

test('messages say what to fix, and never echo more than a line of upstream text', () => {
  assert.match(classifyVisionError(apiError(401), ctx).message, /OPENAI_API_KEY.*api\.example\.com/);
  assert.match(classifyVisionError(apiError(404), ctx).message, /MODEL \(gpt-x\)/);
  const long = APIError.generate(500, { message: 'x'.repeat(2000) }, undefined, new Headers());
  assert.ok(classifyVisionError(long, ctx).message.length < 400);
});

test('a 400 about the output bound\'s value dooms the task and names MAX_OUTPUT_TOKENS; another 400 only its page', () => {
  const badRequest = (message: string) => APIError.generate(400, { error: { message } }, undefined, new Headers());
  const tooLarge = badRequest('max_tokens is too large: 8192. This model supports at most 4096 completion tokens, whereas you provided 8192.');
  const e = classifyVisionError(tooLarge, ctx);
  assert.ok(e instanceof VisionError);
  assert.deepEqual([e.kind, e.retryable, e.scope], ['output_limit', false, 'task']);
  assert.match(e.message, /lower MAX_OUTPUT_TOKENS \(now 8192\) to what gpt-x allows/);
  const completion = badRequest("Invalid 'max_completion_tokens': integer above maximum value.");
  assert.equal((classifyVisionError(completion, ctx) as VisionError).kind, 'output_limit');
  const image = classifyVisionError(badRequest('Invalid image: could not process image.'), ctx) as VisionError;
  assert.deepEqual([image.kind, image.scope], ['bad_request', 'page']);
});

test('timeouts, connection failures and aborts', () => {
  const timeout = classifyVisionError(new APIConnectionTimeoutError(), ctx);
  assert.ok(timeout instanceof VisionError && timeout.kind === 'timeout' && timeout.retryable);
  const refused = classifyVisionError(new APIConnectionError({ cause: new Error('connect ECONNREFUSED') }), ctx);
  assert.ok(refused instanceof VisionError && refused.kind === 'connection' && refused.retryable);
  assert.match(refused.message, /ECONNREFUSED/);
  const abort = new APIUserAbortError();
  assert.equal(classifyVisionError(abort, ctx), abort, 'cancellation is passed through, not classified');
});

test('Retry-After in seconds, as a date, and retry-after-ms', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '7' }), now), 7000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now), 30_000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250' }), now), 250);
  assert.equal(parseRetryAfter(new Headers({}), now), undefined);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  const e = classifyVisionError(apiError(429, { 'retry-after': '3' }), ctx);
  assert.ok(e instanceof VisionError);
  assert.equal(e.retryAfterMs, 3000);
  assert.equal(backoffDelay(1, e, 1000, 60_000), 3000, 'Retry-After wins over the backoff');
});

test('exponential backoff with jitter stays within its bounds', () => {
  const e = new VisionError('server_error', 'x');
  for (let attempt = 1; attempt <= 8; attempt++) {
    const cap = Math.min(10_000, 500 * 2 ** (attempt - 1));
    const d = backoffDelay(attempt, e, 500, 10_000);
    assert.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d}`);
  }
});

test('bad answers are retried at once at a higher temperature; busy servers wait and ask the same', () => {
  const rules: Array<[VisionErrorKind, boolean, boolean]> = [
    ['repetition', true, true], ['refused', true, true], ['truncated', true, true], ['empty_reply', true, true],
    ['rate_limited', true, false], ['server_error', true, false], ['timeout', true, false], ['content_filtered', false, false],
  ];
  for (const [kind, retryable, raises] of rules) {
    const e = new VisionError(kind, 'x');
    assert.deepEqual([e.retryable, e.scope, e.raisesTemperature], [retryable, 'page', raises], kind);
  }
  assert.deepEqual(TEMPERATURE_SCHEDULE, [0, 0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual([0, 1, 2, 4, 5, 9].map(temperatureAfter), [0, 0.2, 0.4, 0.8, 0.8, 0.8], 'it stays at the last step');
});

const image = { data: Buffer.from('png'), mimeType: 'image/png' };
const reported = (promptTokens: number, completionTokens: number): TokenUsage => ({ promptTokens, completionTokens, estimated: false });

/** A model client that plays `script` (an error or a reply per call) and records each call's options. */
function scriptedClient(script: Array<VisionError | TokenUsage>) {
  const seen: RecognizeOptions[] = [];
  const client: VisionClient = {
    recognize(_image, options) {
      seen.push(options);
      const next = script.shift() ?? reported(0, 0);
      return next instanceof VisionError ? Promise.reject(next) : Promise.resolve({ markdown: '# ok', warnings: [], usage: next });
    },
  };
  return { client, seen };
}

const failure = (kind: VisionErrorKind, usage?: TokenUsage) => {
  const e = new VisionError(kind, kind);
  if (usage) e.usage = usage;
  return e;
};

test('the retry loop: temperatures follow the bad answers only, every attempt\'s tokens are summed', async () => {
  const stopped: TokenUsage = { promptTokens: null, completionTokens: 250, estimated: true };
  const { client, seen } = scriptedClient([
    failure('repetition', stopped), failure('server_error'), failure('truncated', reported(1000, 8192)), reported(1000, 300),
  ]);
  const retries: Array<[string, number, number]> = [];
  const page = await recognizeWithRetries(client, image, {
    maxAttempts: 5, baseDelayMs: 1, onRetry: (e, _attempt, delayMs, temperature) => retries.push([e.kind, delayMs, temperature]),
  });
  assert.deepEqual(seen.map((o) => o.temperature), [0, 0.2, 0.2, 0.4], 'a 503 does not raise the temperature');
  assert.deepEqual(retries.map(([kind, delay, t]) => [kind, delay > 0, t]), [['repetition', false, 0.2], ['server_error', true, 0.2], ['truncated', false, 0.4]],
    'bad answers are asked again at once, a busy server after a backoff');
  assert.deepEqual(page.failures, ['repetition', 'server_error', 'truncated']);
  assert.equal(page.attempts, 4);
  // The stopped call's prompt is counted as the others' (same image and prompt), so the sum is estimated.
  // What the page stores (the activity saves page.usage).
  assert.deepEqual(page.usage, { promptTokens: 3000, completionTokens: 250 + 8192 + 300, estimated: true });
});

test('the last error carries the sum of all attempts; retries only for retryable kinds', async () => {
  const { client, seen } = scriptedClient([failure('repetition', reported(1000, 40)), failure('repetition', reported(1000, 60))]);
  const error = await recognizeWithRetries(client, image, { maxAttempts: 2 }).catch((e: unknown) => e);
  assert.ok(error instanceof VisionError);
  assert.deepEqual([error.kind, error.attempts, seen.length], ['repetition', 2, 2]);
  assert.deepEqual(error.usage, { promptTokens: 2000, completionTokens: 100, estimated: false });
  const once = scriptedClient([failure('bad_request'), reported(1, 1)]);
  await assert.rejects(recognizeWithRetries(once.client, image, { maxAttempts: 5 }), /bad_request/);
  assert.equal(once.seen.length, 1);
});

test('sums of usage: nothing known stays null, a server without usage gives null', () => {
  assert.deepEqual(sumUsage([]), { promptTokens: null, completionTokens: null, estimated: false });
  const none = { promptTokens: null, completionTokens: null, estimated: false };
  assert.deepEqual(sumUsage([none, none]), none);
  assert.deepEqual(sumUsage([{ promptTokens: null, completionTokens: 10, estimated: true }]), { promptTokens: null, completionTokens: 10, estimated: true },
    'no attempt reported its prompt: it stays unknown');
  assert.deepEqual(sumUsage([none, reported(5, 6)]), reported(5, 6), 'a failed HTTP call adds nothing');
});

test('the limiter never runs more than its maximum and drops cancelled waiters', async () => {
  const limiter = createLimiter(2);
  let running = 0;
  let peak = 0;
  const release: Array<() => void> = [];
  const job = () => limiter.run(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => release.push(resolve));
    running--;
  });
  const jobs = [job(), job(), job()];
  const aborter = new AbortController();
  const cancelled = limiter.run(() => Promise.resolve('never'), { signal: aborter.signal });
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.active, 2);
  assert.equal(limiter.waiting, 2);
  aborter.abort(new Error('cancelled'));
  await assert.rejects(cancelled, /cancelled/);
  assert.equal(limiter.waiting, 1);
  while (release.length > 0 || running > 0) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(jobs);
  assert.equal(peak, 2);
  assert.equal(limiter.active, 0);
});

test('the limiter serves tasks round-robin: a newcomer does not wait behind a large queue', async () => {
  const limiter = createLimiter(1);
  const order: string[] = [];
  let release: () => void = () => {};
  const blocker = limiter.run(() => new Promise<void>((resolve) => { release = resolve; }), { key: 'big' });
  const jobs = [
    ...[1, 2, 3, 4].map((n) => limiter.run(() => Promise.resolve(order.push(`big-${n}`)), { key: 'big' })),
    limiter.run(() => Promise.resolve(order.push('small-1')), { key: 'small' }),
  ];
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.waiting, 5);
  release();
  await Promise.all([blocker, ...jobs]);
  assert.deepEqual(order, ['big-1', 'small-1', 'big-2', 'big-3', 'big-4']);
});

test('within a task the limiter serves the lowest page first, whatever the order they came in', async () => {
  const limiter = createLimiter(1);
  const order: number[] = [];
  let release: () => void = () => {};
  const blocker = limiter.run(() => new Promise<void>((resolve) => { release = resolve; }), { key: 'pdf', order: 1 });
  // Pages of three batches, in the order their renders finished.
  const pages = [9, 2, 17, 3, 10, 18, 4, 3];
  const jobs = pages.map((page) => limiter.run(() => Promise.resolve(order.push(page)), { key: 'pdf', order: page }));
  await new Promise((r) => setImmediate(r));
  release();
  await Promise.all([blocker, ...jobs]);
  assert.deepEqual(order, [2, 3, 3, 4, 9, 10, 17, 18]);
});

test('a fewest-held limiter grants first to the task holding the fewest slots, then in turn', async () => {
  const limiter = createLimiter(3, { grant: 'fewest-held' });
  const order: string[] = [];
  const releases = new Map<string, () => void>();
  const hold = (key: string, page: number) => limiter.run(async () => {
    order.push(`${key}-${page}`);
    await new Promise<void>((resolve) => releases.set(`${key}-${page}`, resolve));
  }, { key, order: page });
  const release = async (name: string) => {
    releases.get(name)!();
    await new Promise((r) => setImmediate(r));
  };
  // Two PDFs hold every slot and queue more pages; an image arrives last.
  const jobs = [hold('a', 1), hold('a', 2), hold('b', 1), hold('a', 3), hold('b', 2), hold('b', 3), hold('image', 1)];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a-1', 'a-2', 'b-1']);
  await release('a-1');
  assert.deepEqual(order.slice(3), ['image-1'], 'the image holds nothing: it goes before both PDFs, though last in turn');
  await release('image-1');
  assert.deepEqual(order.slice(4), ['a-3'], 'a and b hold one each: a is first in turn');
  await release('a-2');
  assert.deepEqual(order.slice(5), ['b-2']);
  for (const name of ['a-3', 'b-1', 'b-2']) await release(name);
  await release('b-3');
  await Promise.all(jobs);
  assert.deepEqual(order.slice(6), ['b-3']);
  assert.equal(limiter.active, 0);
});
