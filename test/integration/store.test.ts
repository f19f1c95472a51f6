/** The store on real Postgres: concurrent migrations, content-addressed files, idempotent page saves. */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migrate, readMigrations } from '../../src/store/migrate.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { cachedFilePath, storeFile } from '../../src/store/files.js';
import { getTask, insertTask, resetForRetry } from '../../src/store/tasks.js';
import { recordOutcome, recordPage, recordStart } from '../../src/tasks/record.js';
import { detailedProgress } from '../../src/api/views/progress-view.js';
import { completedPageNumbers, joinedContent, type PageResult } from '../../src/store/pages.js';
import { PAGE_STATUSES, TASK_STATUSES, TASK_TYPES } from '../../src/contract/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let pool: Pool;
let scratch: string;
before(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'ocr-store-'));
});
after(async () => {
  await pool?.end();
  await db?.drop();
});

test('five processes migrating at once apply each migration exactly once', async () => {
  const pools = Array.from({ length: 5 }, () => createPool(db.url, 2));
  try {
    const applied = await Promise.all(pools.map((p) => migrate(p)));
    const all = (await readMigrations()).map((m) => m.name);
    assert.deepEqual(applied.flat().sort(), all.sort(), 'each migration applied by exactly one process');
    const { rows } = await pool.query('select name from schema_migrations order by version');
    assert.deepEqual(rows.map((r: { name: string }) => r.name), all);
    assert.deepEqual(await migrate(pool), [], 'nothing left to apply');
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

async function storeRandomFile(size: number) {
  const bytes = randomBytes(size);
  const local = path.join(scratch, randomUUID());
  await writeFile(local, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, local, sha256 };
}

test('a multi-chunk file stored twice at once is kept once and read back byte for byte', async () => {
  const { bytes, local, sha256 } = await storeRandomFile(2_500_000);
  const file = { sha256, sizeBytes: bytes.length, mimeType: 'application/pdf' };
  await Promise.all([storeFile(pool, local, file), storeFile(pool, local, file)]);
  const { rows } = await pool.query('select chunk_count, (select count(*)::int from file_chunks where sha256 = $1) as chunks from files where sha256 = $1', [sha256]);
  assert.deepEqual(rows, [{ chunk_count: 3, chunks: 3 }]);

  const cacheDir = path.join(scratch, 'cache');
  // Batches of one task that start together share one fetch (one database connection).
  let connects = 0;
  const counted = new Proxy(pool, {
    get: (target, key): unknown => (key === 'connect' ? () => (connects++, target.connect()) : Reflect.get(target, key)),
  });
  const [cached, again] = await Promise.all([cachedFilePath(counted, cacheDir, sha256), cachedFilePath(counted, cacheDir, sha256)]);
  assert.deepEqual([again, connects], [cached, 1]);
  assert.ok((await readFile(cached)).equals(bytes));
  // The second read comes from the local cache, even with the database row gone.
  await pool.query('delete from files where sha256 = $1', [sha256]);
  assert.equal(await cachedFilePath(pool, cacheDir, sha256), cached);
  await assert.rejects(cachedFilePath(pool, path.join(scratch, 'other-cache'), sha256), /not in the store/);
});

test('a file with a chunk missing in the store is not cached', async () => {
  const { bytes, local, sha256 } = await storeRandomFile(2_500_000);
  await storeFile(pool, local, { sha256, sizeBytes: bytes.length, mimeType: 'application/pdf' });
  await pool.query('delete from file_chunks where sha256 = $1 and seq = 1', [sha256]);
  const cacheDir = path.join(scratch, 'cache-missing');
  await assert.rejects(cachedFilePath(pool, cacheDir, sha256), /2 values, expected 3/);
  assert.deepEqual(await readdir(cacheDir), [], 'no partial file left behind');
});

test('pages: saves are idempotent, a completed page is never overwritten, counters follow', async () => {
  const { bytes, local, sha256 } = await storeRandomFile(1000);
  await storeFile(pool, local, { sha256, sizeBytes: bytes.length, mimeType: 'image/png' });
  const taskId = randomUUID();
  await insertTask(pool, { id: taskId, taskType: 'pdf_ocr', fileName: 'a.pdf', fileSize: 1000, fileSha256: sha256, mimeType: 'application/pdf', totalPages: 30, metadata: {}, warnings: [], options: {} });
  const page = (n: number, status: 'completed' | 'failed', content: string | null = null): PageResult => ({
    taskId, pageNumber: n, status, content, errorClass: status === 'failed' ? 'server_error' : null,
    errorMessage: status === 'failed' ? 'boom' : null, attempts: 1, processingMs: 5, promptTokens: null, completionTokens: null, tokensEstimated: false, warnings: [], sent: null,
  });

  await recordPage(pool, page(1, 'failed'));
  await recordPage(pool, page(1, 'completed', 'one'));
  await recordPage(pool, page(1, 'failed'));
  await recordPage(pool, page(1, 'completed', 'one'));
  // Twenty pages saved concurrently: the counters must see every one of them.
  await Promise.all(Array.from({ length: 20 }, (_, i) => recordPage(pool, page(i + 2, 'completed', `page ${i + 2}`))));
  await recordPage(pool, page(25, 'failed'));

  const task = await getTask(pool, taskId);
  assert.equal(task?.processed_pages, 21);
  assert.equal(task?.failed_pages, 1);
  const done = await completedPageNumbers(pool, taskId, [1, 2, 22, 23, 25]);
  assert.deepEqual([...done].sort((a, b) => a - b), [1, 2]);
  const content = await joinedContent(pool, taskId);
  assert.ok(content.startsWith('one\n\npage 2\n\npage 3'));
  assert.equal(content.split('\n\n').length, 21);
});

test('pages: a failed page saved again adds its calls\' tokens; a retry forgets the page but the task keeps them', async () => {
  const { bytes, local, sha256 } = await storeRandomFile(1000);
  await storeFile(pool, local, { sha256, sizeBytes: bytes.length, mimeType: 'image/png' });
  const taskId = randomUUID();
  await insertTask(pool, { id: taskId, taskType: 'pdf_ocr', fileName: 'b.pdf', fileSize: 1000, fileSha256: sha256, mimeType: 'application/pdf', totalPages: 2, metadata: {}, warnings: [], options: {} });
  const page = (status: 'completed' | 'failed', promptTokens: number | null, completionTokens: number | null, tokensEstimated = false): PageResult => ({
    taskId, pageNumber: 1, status, content: status === 'completed' ? 'one' : null, errorClass: status === 'failed' ? 'repetition' : null,
    errorMessage: status === 'failed' ? 'loop' : null, attempts: 3, processingMs: 5, promptTokens, completionTokens, tokensEstimated, warnings: [], sent: null,
  });
  const tokensOf = async () => {
    const { rows } = await pool.query<{ prompt_tokens: number | null; completion_tokens: number | null; tokens_estimated: boolean }>(
      'select prompt_tokens, completion_tokens, tokens_estimated from pages where task_id = $1', [taskId]);
    const task = (await getTask(pool, taskId))!;
    return { page: rows[0], task: [task.prompt_tokens, task.completion_tokens, task.tokens_estimated] };
  };

  await recordPage(pool, page('failed', null, 500, true)); // stopped calls: no prompt reported
  await recordPage(pool, page('failed', 2000, 100)); // its batch ran again
  assert.deepEqual(await tokensOf(), { page: { prompt_tokens: 2000, completion_tokens: 600, tokens_estimated: true }, task: [2000, 600, true] });

  await resetForRetry(pool, taskId);
  assert.deepEqual((await tokensOf()).page, undefined, 'the retry forgets the failed page');
  await recordPage(pool, page('completed', 1000, 3));
  assert.deepEqual(await tokensOf(), { page: { prompt_tokens: 1000, completion_tokens: 3, tokens_estimated: false }, task: [3000, 603, true] },
    'the task keeps what the forgotten page cost, and that some of it was estimated');
  await recordPage(pool, page('failed', 1000, 50));
  assert.deepEqual((await tokensOf()).task, [3000, 603, true], 'a completed page is not overwritten, nor are its tokens added to');
});

test('after a retry, pages per minute and the ETA count only the retry\'s own pages and time', async () => {
  const { bytes, local, sha256 } = await storeRandomFile(500);
  await storeFile(pool, local, { sha256, sizeBytes: bytes.length, mimeType: 'application/pdf' });
  const taskId = randomUUID();
  await insertTask(pool, { id: taskId, taskType: 'pdf_ocr', fileName: 'r.pdf', fileSize: 500, fileSha256: sha256, mimeType: 'application/pdf', totalPages: 12, metadata: {}, warnings: [], options: {} });
  const save = (n: number, status: 'completed' | 'failed') => recordPage(pool, {
    taskId, pageNumber: n, status, content: status === 'completed' ? `page ${n}` : null, errorClass: status === 'failed' ? 'server_error' : null,
    errorMessage: status === 'failed' ? 'boom' : null, attempts: 1, processingMs: 5, promptTokens: null, completionTokens: null, tokensEstimated: false, warnings: [], sent: null,
  });
  // The first run, an hour ago: 8 pages done, 4 failed.
  await recordStart(pool, taskId, 'm');
  for (let n = 1; n <= 12; n++) await save(n, n <= 8 ? 'completed' : 'failed');
  assert.equal((await recordOutcome(pool, taskId, { kind: 'done' }))?.status, 'partial');
  await pool.query(`update tasks set started_at = now() - interval '1 hour' where id = $1`, [taskId]);

  // The retry started two minutes ago and has redone 2 of the 4 failed pages.
  await resetForRetry(pool, taskId);
  await recordStart(pool, taskId, 'm');
  await pool.query(`update tasks set run_started_at = now() - interval '2 minutes' where id = $1`, [taskId]);
  for (const n of [9, 10]) await save(n, 'completed');

  const task = (await getTask(pool, taskId))!;
  assert.equal(task.run_base_pages, 8, 'the pages done before the retry');
  const progress = detailedProgress(task);
  assert.equal(progress.processed_pages, 10);
  assert.equal(progress.processing_rate, 1, '2 pages in 2 minutes (not 10 pages in an hour)');
  assert.ok(Math.abs((progress.estimated_time_remaining ?? 0) - 120) <= 2, `2 pages left at 1 a minute: ${progress.estimated_time_remaining}`);
});

test('the tables take every status and type of the contract, and nothing else', async () => {
  // A status added to src/contract without a migration of the check constraints fails here.
  const { rows } = await pool.query<{ column: string; allowed: string[] }>(
    `select c.conrelid::regclass::text || '.' || a.attname as column,
            (select array_agg(m[1] order by m[1]) from regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') m) as allowed
     from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
     where c.contype = 'c' and c.conrelid in ('tasks'::regclass, 'pages'::regclass) and array_length(c.conkey, 1) = 1
       and a.attname in ('status', 'task_type')`,
  );
  const allowed = Object.fromEntries(rows.map((r) => [r.column, r.allowed]));
  const sorted = (values: readonly string[]) => [...values].sort();
  assert.deepEqual(allowed, {
    'tasks.status': sorted(TASK_STATUSES),
    'tasks.task_type': sorted(TASK_TYPES),
    'pages.status': sorted(PAGE_STATUSES),
  });
});
