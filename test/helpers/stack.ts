/**
 * The real service for a test file: its own database, task queue and data directory, the worker and
 * the API built by the same functions `ocr dev` uses, against the shared Temporal dev server and the
 * model stub. Only the model is fake.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { parseConfig, type Config } from '../../src/config.js';
import { openDatabase } from '../../src/main/database.js';
import { createLifecycle } from '../../src/main/lifecycle.js';
import { startApi } from '../../src/main/api.js';
import { startWorker } from '../../src/main/worker.js';
import { installTemporalRuntime } from '../../src/main/temporal-runtime.js';
import { createMetrics } from '../../src/metrics/registry.js';
import type { Pool } from '../../src/store/pool.js';
import { createVisionClient, type VisionClient } from '../../src/vision/client.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { testEnv } from './env.js';
import { startModelStub, type ModelStub, type StubOptions } from './model-stub.js';

export interface Stack {
  /** http://127.0.0.1:port */
  origin: string;
  /** origin + /{PASSWORD} */
  api: string;
  stub: ModelStub;
  pool: Pool;
  config: Config;
  db: TestDatabase;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra environment variables for the config (strings, as in a real environment). */
  env?: Record<string, string>;
  /** Start a worker in this process (default true). */
  worker?: boolean;
  /** Another Temporal server than the shared one (a test that kills its server). */
  temporalAddress?: string;
  /** Wraps the real (HTTP) model client, to inject faults such as a crash after the model answered. */
  wrapVision?: (client: VisionClient) => VisionClient;
  /** How the model stub behaves as a server (e.g. which parameters it rejects). */
  stub?: StubOptions;
}

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
// Once per test process, before any worker: the SDK's own logs go through the (silent) test logger.
installTemporalRuntime(log);

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const stub = await startModelStub(opts.stub);
  const dataDir = await mkdtemp(path.join(testEnv.scratchDir, 'data-'));
  const config = parseConfig({
    API_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test-key',
    MODEL: 'stub-model',
    PASSWORD: 'test-pw',
    PORT: '0',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: opts.temporalAddress ?? testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    DATA_DIR: dataDir,
    MAX_RETRIES: '3',
    API_TIMEOUT: '10',
    ...opts.env,
  });
  const lifecycle = createLifecycle(log);
  lifecycle.defer('database', () => db.drop());
  lifecycle.defer('model stub', () => stub.close());
  const pool = await openDatabase(db.url, log, lifecycle);
  // One registry for the stack's worker and API, as in `ocr dev`.
  const metrics = createMetrics();
  if (opts.worker !== false) {
    const vision = opts.wrapVision?.(createVisionClient(config.vision, log));
    await startWorker(config, pool, log, lifecycle, { workflowBundlePath: testEnv.workflowBundlePath, retryBaseDelayMs: 20, vision, metrics });
  }
  const { port } = await startApi(config, pool, log, lifecycle, { metrics });
  const origin = `http://127.0.0.1:${port}`;
  return { origin, api: `${origin}/${config.http.password}`, stub, pool, config, db, stop: () => lifecycle.shutdown() };
}

/** A multipart upload of one file, as curl -F would send it. */
export function fileForm(bytes: Buffer, fileName: string, field = 'file', type = 'application/octet-stream'): FormData {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), fileName);
  return form;
}

export async function postFile(url: string, bytes: Buffer, fileName: string, field = 'file'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: fileForm(bytes, fileName, field) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

export { eventually } from './eventually.js';
import { eventually } from './eventually.js';

export interface TaskData { id: string; status: string; error_code: string | null; error_message: string | null; [key: string]: unknown }

/** Waits until the task reaches a final status and returns its data. */
export async function waitForTask(stack: Stack, taskId: string, timeoutMs = 30_000): Promise<TaskData> {
  return eventually(async () => {
    const { body } = await getJson<{ data: TaskData }>(`${stack.api}/api/tasks/${taskId}`);
    return ['completed', 'partial', 'failed', 'cancelled'].includes(body.data.status) ? body.data : undefined;
  }, `task ${taskId} to finish`, timeoutMs);
}
