/** Health answers 503 with the reason when a dependency is down; the placeholder key fails fast. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.js';
import { parseConfig } from '../../src/config.js';
import { createPool } from '../../src/store/pool.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createPdfPool } from '../../src/pdf/pool.js';
import { taggedImage } from '../helpers/images.js';
import { testEnv } from '../helpers/env.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  // The seed's defaults: the real OpenAI URL and its placeholder key (this machine has no internet).
  stack = await startStack({ env: { API_BASE_URL: 'https://api.openai.com', OPENAI_API_KEY: 'sk-111111111' } });
});
after(() => stack?.stop());

test('with the placeholder key an image fails at once, saying to set OPENAI_API_KEY', async () => {
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(1), 'a.png');
  const task = await waitForTask(stack, String(body.task_id), 15_000);
  assert.equal(task.status, 'failed');
  assert.equal(task.error_code, 'auth');
  assert.match(task.error_message ?? '', /OPENAI_API_KEY is not set/);
  const pages = task.page_results as Array<{ attempts: number }>;
  assert.equal(pages[0]!.attempts, 1, 'no retries');
});

test('/health and /healthz are public and report both dependencies', async () => {
  for (const route of ['/health', '/healthz']) {
    const { status, body } = await getJson<{ status: string; checks: Record<string, string> }>(`${stack.origin}${route}`);
    assert.equal(status, 200);
    assert.deepEqual(body.checks, { database: 'ok', temporal: 'ok' });
  }
});

test('/health answers 503 naming the database when Postgres is unreachable', async () => {
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  // Port 1 on loopback: nothing listens there, so every connection is refused at once.
  const pool = createPool('postgres://nobody@127.0.0.1:1/none');
  const pdf = createPdfPool(1);
  try {
    const app = createApp({
      config: parseConfig({ PASSWORD: 'x' }), pool, temporal: new Client({ connection }), temporalConnection: connection, pdf,
      metrics: createMetrics(), websocketStats: () => { throw new Error('not used'); }, log: pino({ level: 'silent' }),
    });
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    const { status, body } = await getJson<{ status: string; reason: string; checks: Record<string, string> }>(`http://127.0.0.1:${port}/healthz`);
    server.close();
    assert.equal(status, 503);
    assert.equal(body.status, 'unhealthy');
    assert.match(body.reason, /^database: /);
    assert.equal(body.checks.temporal, 'ok');
  } finally {
    await pool.end();
    await pdf.close();
    await connection.close();
  }
});
