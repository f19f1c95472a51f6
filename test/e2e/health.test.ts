/** Health answers 503 with the reason when a dependency is down; the placeholder key fails fast. */
import assert from 'node:assert/strict';
import net from 'node:net';
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
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  // The old service's defaults: the real OpenAI URL and its placeholder key (this machine has no internet).
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

/** A TCP relay to Postgres that the test can cut and restore, as a Postgres restart or outage would. */
async function postgresRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const open = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const cut = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server!.close(() => resolve());
  });
  await open();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), cut, restore: open };
}

test('/health answers 503 naming the database while Postgres is unreachable, and 200 once it is back', async () => {
  const relay = await postgresRelay(new URL(stack.db.url));
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const pool = createPool(relay.url);
  const pdf = createPdfPool(1);
  const server = createApp({
    config: parseConfig({ PASSWORD: 'x' }), pool, temporal: new Client({ connection }), tasks: {} as never, temporalConnection: connection, pdf, previews: {} as never, pdfExports: {} as never, selfUrl: {} as never,
    metrics: createMetrics(), websocketStats: () => { throw new Error('not used'); }, log: pino({ level: 'silent' }),
  }).listen(0);
  try {
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/healthz`;
    type Health = { status: string; reason?: string; checks: Record<string, string> };
    assert.equal((await getJson<Health>(url)).status, 200);

    await relay.cut();
    const down = await getJson<Health>(url);
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unhealthy');
    assert.match(down.body.reason ?? '', /^database: /);
    assert.equal(down.body.checks.temporal, 'ok');

    await relay.restore();
    // The pool drops its broken connections and opens new ones.
    await eventually(async () => ((await getJson<Health>(url)).status === 200 ? true : undefined), 'health to recover');
  } finally {
    server.close();
    await pool.end();
    await pdf.close();
    await connection.close();
    await relay.cut();
  }
});
