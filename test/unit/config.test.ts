/**
 * Config: the old service's defaults (docs/compatibility.md, "Configuration"), normalisation, and
 * one error that names every bad variable.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.js';

test('no environment gives the old service\'s defaults', () => {
  const c = parseConfig({});
  assert.equal(c.vision.baseUrl, 'https://api.openai.com/v1');
  assert.equal(c.vision.apiKey, 'sk-111111111');
  assert.equal(c.vision.model, 'gpt-4o');
  assert.equal(c.vision.concurrency, 5);
  assert.equal(c.vision.maxAttempts, 5);
  assert.equal(c.vision.timeoutMs, 300_000);
  assert.equal(c.vision.maxOutputTokens, 8192);
  assert.equal(c.http.password, 'pwd');
  assert.equal(c.http.port, 54188);
  assert.equal(c.http.title, '智能图文识别服务');
  assert.equal(c.pdf.dpi, 200);
  assert.equal(c.pdf.batchSize, 8);
  assert.equal(c.pdf.maxSide, 2560);
  assert.equal(c.limits.maxImageBytes, 50 * 1024 * 1024);
  assert.equal(c.limits.maxPdfBytes, 200 * 1024 * 1024);
  assert.equal(c.limits.maxPdfPages, 500);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.temporal.address, undefined);
  assert.equal(c.temporal.namespace, 'default');
  assert.equal(c.temporal.taskQueue, 'ocr');
  assert.equal(c.logLevel, 'info');
  assert.ok(path.isAbsolute(c.dataDir));
});

test('API_BASE_URL gets /v1 once, whatever the trailing slashes', () => {
  for (const [input, expected] of [
    ['https://api.example.com', 'https://api.example.com/v1'],
    ['https://api.example.com/', 'https://api.example.com/v1'],
    ['https://api.example.com/v1', 'https://api.example.com/v1'],
    ['https://api.example.com/v1/', 'https://api.example.com/v1'],
    ['http://127.0.0.1:8000/openai', 'http://127.0.0.1:8000/openai/v1'],
  ]) {
    assert.equal(parseConfig({ API_BASE_URL: input }).vision.baseUrl, expected, input);
  }
});

test('an empty PASSWORD means no prefix; other empty values mean the default', () => {
  const c = parseConfig({ PASSWORD: '', PORT: '', MODEL: '' });
  assert.equal(c.http.password, '');
  assert.equal(c.http.port, 54188);
  assert.equal(c.vision.model, 'gpt-4o');
});

test('every bad variable is named in one error, with what it expects', () => {
  let error: unknown;
  try {
    parseConfig({ PORT: 'eighty', CONCURRENCY: '0', API_BASE_URL: 'ftp://x', PASSWORD: 'a/b', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'nohost', MAX_OUTPUT_TOKENS: '100' });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  const names = error.problems.map((p) => p.split('=')[0]).sort();
  assert.deepEqual(names, ['API_BASE_URL', 'CONCURRENCY', 'DATABASE_URL', 'LOG_LEVEL', 'MAX_OUTPUT_TOKENS', 'PASSWORD', 'PORT', 'TEMPORAL_ADDRESS']);
  assert.match(error.message, /MAX_OUTPUT_TOKENS="100": expected a whole number from 256 to 1000000/);
  assert.match(error.message, /PORT="eighty": expected a whole number from 0 to 65535/);
  assert.match(error.message, /CONCURRENCY="0": expected a whole number from 1 to 256/);
  assert.match(error.message, /LOG_LEVEL="loud": expected one of fatal, error/);
});

test('IMAGE_MAX_SIDE is 0 (no bound) or 256 to 10000 pixels', () => {
  assert.equal(parseConfig({ IMAGE_MAX_SIDE: '0' }).pdf.maxSide, 0);
  assert.equal(parseConfig({ IMAGE_MAX_SIDE: '2048' }).pdf.maxSide, 2048);
  assert.throws(() => parseConfig({ IMAGE_MAX_SIDE: '100' }), /IMAGE_MAX_SIDE="100": expected 0 \(no bound\) or 256 to 10000/);
  assert.throws(() => parseConfig({ IMAGE_MAX_SIDE: '20000' }), /IMAGE_MAX_SIDE="20000"/);
});

test('IMAGE_FORMAT is auto, png, jpeg or webp; JPEG_QUALITY 50 to 100', () => {
  assert.deepEqual(parseConfig({}).encoding, { format: 'auto', quality: 85 });
  assert.deepEqual(parseConfig({ IMAGE_FORMAT: 'webp', JPEG_QUALITY: '70' }).encoding, { format: 'webp', quality: 70 });
  assert.throws(() => parseConfig({ IMAGE_FORMAT: 'gif' }), /IMAGE_FORMAT="gif": expected one of auto, png, jpeg, webp/);
  assert.throws(() => parseConfig({ JPEG_QUALITY: '101' }), /JPEG_QUALITY="101"/);
  assert.throws(() => parseConfig({ JPEG_QUALITY: '20' }), /JPEG_QUALITY="20"/);
});

test('RETENTION_DAYS: 0 (keep every task) unless a whole number of days is given', () => {
  assert.equal(parseConfig({}).retentionDays, 0);
  assert.equal(parseConfig({ RETENTION_DAYS: '90' }).retentionDays, 90);
  for (const bad of ['-1', '1.5', 'forever']) {
    assert.throws(() => parseConfig({ RETENTION_DAYS: bad }), (err: ConfigError) => err.problems.some((p) => p.startsWith(`RETENTION_DAYS="${bad}"`)));
  }
});

test('.env is read, and the real environment wins over it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocr-env-'));
  const file = path.join(dir, '.env');
  await writeFile(file, 'MODEL=from-file\nCONCURRENCY=7\n');
  const c = loadConfig({ CONCURRENCY: '9' }, file);
  assert.equal(c.vision.model, 'from-file');
  assert.equal(c.vision.concurrency, 9);
  assert.equal(loadConfig({}, path.join(dir, 'missing.env')).vision.model, 'gpt-4o');
});

test('MODEL_PRICES is a price table per model; without it no task has a cost', () => {
  assert.deepEqual(parseConfig({}).pricing, { prices: {}, currency: 'USD' });
  const c = parseConfig({ MODEL_PRICES: ' {"gpt-4o": {"input": 2.5, "output": 10}, "qwen-vl": {"input": 0, "output": 0.5}} ', PRICE_CURRENCY: 'CNY' });
  assert.deepEqual(c.pricing, { prices: { 'gpt-4o': { input: 2.5, output: 10 }, 'qwen-vl': { input: 0, output: 0.5 } }, currency: 'CNY' });
});

test('a bad MODEL_PRICES or PRICE_CURRENCY is named, with an example of the right form', () => {
  for (const [value, reason] of [
    ['gpt-4o=2.5', /not JSON/],
    ['[1, 2]', /expected record/],
    ['{"gpt-4o": {"input": 2.5}}', /gpt-4o\.output: /],
    ['{"gpt-4o": {"input": -1, "output": 10}}', /gpt-4o\.input: /],
    ['{"gpt-4o": {"input": "2.5", "output": 10}}', /expected number/],
    ['{"gpt-4o": {"input": 2.5, "output": 10, "cached": 1}}', /cached/],
  ] as const) {
    assert.throws(() => parseConfig({ MODEL_PRICES: value }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1);
      assert.ok(err.problems[0]!.startsWith(`MODEL_PRICES=${JSON.stringify(value)}: `), err.problems[0]);
      assert.match(err.problems[0]!, reason);
      assert.match(err.problems[0]!, /\{"gpt-4o":\{"input":2\.5,"output":10\}\} \(price per 1M input and output tokens\)/);
      return true;
    }, value);
  }
  assert.throws(() => parseConfig({ PRICE_CURRENCY: 'dollars' }), /PRICE_CURRENCY="dollars": expected a three-letter currency code such as USD/);
});

test('webhooks: off by default; WEBHOOK_URL needs WEBHOOK_SECRET; a bad secret is named but never repeated', () => {
  const none = parseConfig({});
  assert.deepEqual(none.webhooks, {
    secret: undefined, serviceUrl: undefined, serviceEvents: ['task.completed', 'task.partial', 'task.failed', 'task.cancelled'],
    progressIntervalMs: 30_000, retryMs: 24 * 3_600_000, allowPrivate: false,
  });
  assert.equal(none.publicUrl, '');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const on = parseConfig({
    WEBHOOK_URL: 'https://hooks.example.com/ocr?token=abc', WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: 'task.failed, task.started',
    WEBHOOK_PROGRESS_INTERVAL: '5', WEBHOOK_RETRY_HOURS: '2', WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://ocr.example.com/',
  });
  assert.deepEqual(on.webhooks, {
    secret, serviceUrl: 'https://hooks.example.com/ocr?token=abc', serviceEvents: ['task.started', 'task.failed'], progressIntervalMs: 5000, retryMs: 7_200_000, allowPrivate: true,
  });
  assert.equal(on.publicUrl, 'https://ocr.example.com');
  assert.throws(() => parseConfig({ WEBHOOK_URL: 'https://hooks.example.com/ocr' }), (err: ConfigError) => {
    assert.deepEqual(err.problems, ['WEBHOOK_URL is set but WEBHOOK_SECRET is not: every delivery is signed (make a secret with `ocr webhook-secret`)']);
    return true;
  });
  for (const bad of ['whsec_short', 'whsec_not base64!!', 'MfKQ9r8G']) {
    assert.throws(() => parseConfig({ WEBHOOK_SECRET: bad }), (err: ConfigError) => {
      assert.equal(err.problems.length, 1);
      assert.match(err.problems[0]!, /^WEBHOOK_SECRET: expected whsec_ followed by the base64 of 24 to 64 random bytes/);
      assert.ok(!err.message.includes(bad), 'the value is not repeated');
      return true;
    });
  }
  assert.throws(() => parseConfig({ WEBHOOK_EVENTS: 'task.done' }), /WEBHOOK_EVENTS="task.done": unknown event "task.done"/);
  assert.throws(() => parseConfig({ WEBHOOK_URL: 'ftp://x', WEBHOOK_SECRET: secret }), /WEBHOOK_URL="ftp:\/\/x": expected an http\(s\) URL/);
  // The secret without its prefix is what the specification's libraries take too.
  assert.equal(parseConfig({ WEBHOOK_SECRET: secret.slice(6) }).webhooks.secret, secret.slice(6));
});
