/** Task events through Postgres NOTIFY: delivered on commit, and the listener survives a lost connection. */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { TaskEvent } from '../../src/contract/index.js';
import { listenForTaskEvents, type EventListener } from '../../src/store/events.js';
import { storeFile } from '../../src/store/files.js';
import { migrate } from '../../src/store/migrate.js';
import type { PageResult } from '../../src/store/pages.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { insertTask } from '../../src/store/tasks.js';
import { recordOutcome, recordPage, recordStart } from '../../src/tasks/record.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/stack.js';

let db: TestDatabase;
let pool: Pool;
let listener: EventListener | undefined;
const events: TaskEvent[] = [];
let reconnects = 0;

before(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url);
  await migrate(pool);
  listener = listenForTaskEvents(db.url, {
    onEvent: (e) => events.push(e),
    onReconnect: () => { reconnects++; },
    log: pino({ level: 'silent' }),
    maxDelayMs: 500,
  });
  await listener.ready;
});
after(async () => {
  await listener?.stop();
  await pool?.end();
  await db?.drop();
});

async function newTask(totalPages: number): Promise<string> {
  const bytes = Buffer.from(randomUUID());
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ocr-events-')), 'f');
  await writeFile(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await storeFile(pool, file, { sha256, sizeBytes: bytes.length, mimeType: 'application/pdf' });
  const id = randomUUID();
  await insertTask(pool, { id, taskType: 'pdf_ocr', fileName: 'a.pdf', fileSize: bytes.length, fileSha256: sha256, mimeType: 'application/pdf', totalPages, metadata: {}, warnings: [], options: {} });
  return id;
}

const page = (taskId: string, n: number, content: string | null): PageResult => ({
  taskId, pageNumber: n, status: content === null ? 'failed' : 'completed', content,
  errorClass: content === null ? 'server_error' : null, errorMessage: content === null ? 'boom' : null,
  attempts: 1, processingMs: 1500, promptTokens: null, completionTokens: null, tokensEstimated: false, warnings: [], sent: null,
});

const eventsOf = (taskId: string) => events.filter((e) => e.task_id === taskId);

test('a task\'s life arrives as events, in order, with progress', async () => {
  const id = await newTask(2);
  assert.equal(await recordStart(pool, id, 'm'), true);
  assert.equal(await recordStart(pool, id, 'm'), false, 'a replay changes nothing and announces nothing');
  await recordPage(pool, page(id, 1, 'hello'));
  await recordPage(pool, page(id, 1, 'hello')); // likewise
  await recordPage(pool, page(id, 2, null));
  assert.equal((await recordOutcome(pool, id, { kind: 'done' }))?.status, 'partial');

  const got = await eventually(() => Promise.resolve(eventsOf(id).length >= 4 ? eventsOf(id) : undefined), 'four events');
  assert.deepEqual(got, [
    { type: 'task_started', task_id: id },
    { type: 'page_completed', task_id: id, page_number: 1, status: 'completed', content_length: 5, processing_time: 1.5, error_message: null, warnings: [], progress: { processed: 1, failed: 0, total: 2 } },
    { type: 'page_completed', task_id: id, page_number: 2, status: 'failed', content_length: 0, processing_time: 1.5, error_message: 'boom', warnings: [], progress: { processed: 1, failed: 1, total: 2 } },
    { type: 'task_finished', task_id: id, status: 'partial' },
  ]);
});

test('after its connection is killed the listener reconnects, says so, and hears later events', async () => {
  await pool.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`);
  await eventually(() => Promise.resolve(reconnects >= 1 ? true : undefined), 'the listener to reconnect', 15_000);
  const id = await newTask(1);
  await recordStart(pool, id, 'm');
  await eventually(() => Promise.resolve(eventsOf(id).length === 1 ? true : undefined), 'the event after the reconnect');
});
