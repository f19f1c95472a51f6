/**
 * The outcomes the API records itself, through the same lifecycle as a run's: a task whose run
 * could not be started (Temporal unreachable at submit) and a cancel of a task that has no run.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.js';
import type { TaskFinishedEvent } from '../../src/contract/index.js';
import { freePort } from '../../src/main/processes.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createPdfPool } from '../../src/pdf/pool.js';
import { listenForTaskEvents, type EventListener } from '../../src/store/events.js';
import { storeFile } from '../../src/store/files.js';
import { getTask, insertTask } from '../../src/store/tasks.js';
import { createTaskLifecycle, TaskRefusal } from '../../src/tasks/lifecycle.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { eventually, fileForm, startStack, type Stack } from '../helpers/stack.js';

const log = pino({ level: 'silent' });
let stack: Stack;
let listener: EventListener;
const finished: TaskFinishedEvent[] = [];
before(async () => {
  stack = await startStack({ worker: false });
  listener = listenForTaskEvents(stack.db.url, { onEvent: (e) => { if (e.type === 'task_finished') finished.push(e); }, log });
  await listener.ready;
});
after(async () => {
  await listener?.stop();
  await stack?.stop();
});

test('Temporal unreachable at submit: a 503 that says so, and the task is recorded failed with its summary', async () => {
  // Nothing listens on this port: every call to "Temporal" fails to connect.
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const dead = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: '1 second' });
  const temporal = new Client({ connection: dead });
  const pdf = createPdfPool(1);
  const tasks = createTaskLifecycle({ pool: stack.pool, temporal, config: stack.config, log });
  const app = createApp({
    config: stack.config, pool: stack.pool, temporal, tasks, temporalConnection: connection, pdf, previews: {} as never, pdfExports: {} as never, selfUrl: {} as never,
    metrics: createMetrics(), websocketStats: () => { throw new Error('not used'); }, log,
  });
  const server = http.createServer(app.callback()).listen(0);
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stack.config.http.password}/api/async/image`;
    const res = await fetch(url, { method: 'POST', body: fileForm(await taggedImage(7), 'unqueued.png') });
    const body = (await res.json()) as { detail: string; code: string };
    assert.equal(res.status, 503);
    assert.deepEqual(body, { code: 'temporal_unavailable', detail: 'The task could not be queued because Temporal is unreachable; submit it again later' });

    const { rows } = await stack.pool.query<{ id: string }>(`select id from tasks where file_name = 'unqueued.png'`);
    assert.equal(rows.length, 1, 'the task row stays, so the failure is visible in the list');
    const task = await getTask(stack.pool, rows[0]!.id);
    assert.equal(task?.status, 'failed');
    assert.equal(task?.error_code, 'temporal_unavailable');
    assert.deepEqual({ ...task?.result_summary, processing_time: 0 }, {
      total_pages: 1, successful_pages: 0, failed_pages: 1, success_rate: '0.0%', processing_time: 0, content_length: 0,
      file_size_mb: (task.file_size / (1024 * 1024)).toFixed(2),
    });
    await eventually(() => Promise.resolve(finished.find((e) => e.task_id === task.id)), 'task_finished for it');
    assert.deepEqual(finished.find((e) => e.task_id === task.id), { type: 'task_finished', task_id: task.id, status: 'failed' });
  } finally {
    server.close();
    await pdf.close();
    await dead.close();
    await connection.close();
  }
});

test('cancelling a task that has no run records it cancelled at once; cancelling it again is refused', async () => {
  const bytes = await taggedImage(8);
  const file = path.join(stack.config.dataDir, 'no-run.png');
  await writeFile(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await storeFile(stack.pool, file, { sha256, sizeBytes: bytes.length, mimeType: 'image/png' });
  const id = randomUUID();
  await insertTask(stack.pool, { id, taskType: 'image_ocr', fileName: 'no-run.png', fileSize: bytes.length, fileSha256: sha256, mimeType: 'image/png', totalPages: 1, metadata: {}, warnings: [], options: {} });

  const res = await fetch(`${stack.api}/api/tasks/${id}/cancel`, { method: 'POST' });
  assert.equal(res.status, 202);
  const task = await getTask(stack.pool, id);
  assert.equal(task?.status, 'cancelled', 'no run to wait for: cancelled in the same request');
  assert.equal(task?.error_message, '用户取消');
  assert.equal(task?.result_summary?.successful_pages, 0);
  await eventually(() => Promise.resolve(finished.find((e) => e.task_id === id)), 'task_finished for it');

  const again = await fetch(`${stack.api}/api/tasks/${id}/cancel`, { method: 'POST' });
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, 'task_not_running');
  const temporal = new Client({ connection: await Connection.connect({ address: testEnv.temporalAddress }), namespace: stack.config.temporal.namespace });
  try {
    await assert.rejects(createTaskLifecycle({ pool: stack.pool, temporal, config: stack.config, log }).retry({ ...task, status: 'processing' }),
      (err: unknown) => err instanceof TaskRefusal && err.code === 'task_not_retryable');
  } finally {
    await temporal.connection.close();
  }
});
