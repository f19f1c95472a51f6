/**
 * RETENTION_DAYS: tasks finished longer ago than that go with every row of theirs, and the stored
 * files no task uses go chunk by chunk; what is newer, unfinished, or shared with a kept task stays.
 * Run by the worker's schedule (`<task queue>-retention`, triggered here), by `ocr retention run` as
 * a process, and by the function both call. Old tasks are made by backdating them in SQL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { filesCacheDir, storeFile } from '../../src/store/files.js';
import { insertTask } from '../../src/store/tasks.js';
import { insertWebhookEvent } from '../../src/store/webhooks.js';
import { applyRetention } from '../../src/tasks/retention.js';
import { syncRetentionSchedule } from '../../src/temporal/retention-schedule.js';
import { retentionScheduleId, type RetentionReport } from '../../src/workflows/types.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { makePdf } from '../helpers/pdfs.js';
import { eventually, fileForm, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let stack: Stack;
let connection: Connection;
let client: Client;
before(async () => {
  stack = await startStack({ env: { RETENTION_DAYS: '30', PDF_DPI: '72' } });
  connection = await Connection.connect({ address: stack.config.temporal.address! });
  client = new Client({ connection, namespace: stack.config.temporal.namespace });
});
after(async () => {
  // The test server outlives this file: its schedule must not fire at 03:00 against a dropped database.
  await client?.schedule.getHandle(retentionScheduleId(stack.config.temporal.taskQueue)).delete().catch(() => {});
  await connection?.close();
  await stack?.stop();
});

async function submit(route: 'image' | 'pdf', bytes: Buffer, name: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${stack.api}/api/async/${route}`, { method: 'POST', body: fileForm(bytes, name), headers });
  const body = (await res.json()) as { task_id?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  await waitForTask(stack, body.task_id!);
  return body.task_id!;
}

/** Finished `days` ago (completed_at, what retention reads), their files uploaded no later. */
async function finishedDaysAgo(ids: string[], days: number): Promise<void> {
  await stack.pool.query('update tasks set completed_at = now() - make_interval(days => $2) where id = any($1::uuid[])', [ids, days]);
  await stack.pool.query(
    'update files set last_upload_at = now() - make_interval(days => $2) where sha256 in (select file_sha256 from tasks where id = any($1::uuid[]))',
    [ids, days],
  );
}

/** Bytes stored with no task, as an upload that failed before inserting its task leaves them. */
async function storeOrphan(bytes: Buffer, uploadedHoursAgo: number): Promise<string> {
  const file = path.join(testEnv.scratchDir, `orphan-${randomUUID()}`);
  await writeFile(file, bytes);
  const hash = sha256(bytes);
  await storeFile(stack.pool, file, { sha256: hash, sizeBytes: bytes.length, mimeType: 'application/octet-stream' });
  await stack.pool.query('update files set last_upload_at = now() - make_interval(hours => $2) where sha256 = $1', [hash, uploadedHoursAgo]);
  return hash;
}

/** A webhook event of the task with one delivery, as a run with a webhook stores it. */
async function webhookEventOf(taskId: string): Promise<void> {
  await insertWebhookEvent(stack.pool, {
    id: `msg_${randomUUID()}`, taskId, type: 'task.completed', body: '{}', occurredAt: new Date(), deliveries: [{ target: 'service', url: 'https://example.com/hook' }],
  });
}

const taskIds = async () => new Set((await stack.pool.query<{ id: string }>('select id from tasks')).rows.map((r) => r.id));
const pagesOf = async (ids: string[]) => (await stack.pool.query<{ n: number }>('select count(*)::int as n from pages where task_id = any($1::uuid[])', [ids])).rows[0]!.n;
/** Stored files by hash, with the chunks each has left and how many it should have. */
async function storedFiles(): Promise<Map<string, { chunks: number; chunkCount: number }>> {
  const { rows } = await stack.pool.query<{ sha256: string; chunks: number; chunk_count: number }>(
    'select f.sha256, f.chunk_count, (select count(*)::int from file_chunks c where c.sha256 = f.sha256) as chunks from files f',
  );
  return new Map(rows.map((r) => [r.sha256, { chunks: r.chunks, chunkCount: r.chunk_count }]));
}
const strayChunks = async () => (await stack.pool.query<{ n: number }>('select count(*)::int as n from file_chunks c where not exists (select 1 from files f where f.sha256 = c.sha256)')).rows[0]!.n;
const count = async (sql: string, params: unknown[] = []) => (await stack.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

/** `ocr retention run` as an operator runs it, sharing the worker's DATA_DIR (and so its file cache). */
async function retentionRun(env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'retention', 'run'], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: stack.db.url, DATA_DIR: stack.config.dataDir, PASSWORD: 'test-pw', OPENAI_API_KEY: 'sk-test-key', LOG_LEVEL: 'warn', ...env },
    timeout: 60_000,
  });
  return stdout;
}

/** The figures `ocr retention run` printed after "deleted:". */
function printedReport(stdout: string): RetentionReport {
  const figure = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(stdout.slice(stdout.indexOf('deleted:')))?.[1]);
  return { tasks: figure('tasks'), pages: figure('pages'), files: figure('files'), bytes: figure('bytes') };
}

describe('retention', () => {
  // Made in the first test, followed through the others.
  const world = {} as {
    oldImage: string; oldPdf: string; newImage: string; recent: string; running: string;
    sharedFile: string; oldPdfFile: string; recentFile: string; runningFile: string;
    oldOrphan: string; freshOrphan: string; pdfBytes: number;
  };

  test('the worker creates the daily schedule, and a run of it deletes exactly what expired', async () => {
    const scheduleId = retentionScheduleId(stack.config.temporal.taskQueue);
    const handle = client.schedule.getHandle(scheduleId);
    const description = await handle.describe();
    assert.equal(description.action.type, 'startWorkflow');
    assert.equal(description.action.workflowType, 'retentionWorkflow');
    assert.deepEqual(description.action.args, [{ retentionDays: 30 }]);
    assert.equal(description.action.taskQueue, stack.config.temporal.taskQueue);
    assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(description.spec.timezone, 'UTC');
    assert.deepEqual(description.spec.calendars?.map((c) => [c.hour, c.minute]), [[[{ start: 3, end: 3, step: 1 }], [{ start: 0, end: 0, step: 1 }]]]);
    assert.equal(description.state.paused, false);

    const image = await taggedImage(7101);
    const pdf = makePdf([7102, 7103, 7104]);
    world.sharedFile = sha256(image);
    world.oldPdfFile = sha256(pdf);
    world.pdfBytes = pdf.length;
    world.oldImage = await submit('image', image, 'old.png');
    world.oldPdf = await submit('pdf', pdf, 'old.pdf', { 'Idempotency-Key': `retention-${randomUUID()}` });
    // The same bytes as the old image, in a task that stays: the file is shared.
    world.newImage = await submit('image', image, 'new.png');
    const recentImage = await taggedImage(7105);
    world.recentFile = sha256(recentImage);
    world.recent = await submit('image', recentImage, 'recent.png');
    // Started two months ago and not finished: retention never touches a task that has not ended.
    const runningImage = await taggedImage(7106);
    world.runningFile = await storeOrphan(runningImage, 24 * 60);
    world.running = randomUUID();
    await insertTask(stack.pool, {
      id: world.running, taskType: 'image_ocr', fileName: 'running.png', fileSize: runningImage.length, fileSha256: world.runningFile,
      mimeType: 'image/png', totalPages: 1, metadata: {}, warnings: [], options: {},
    });
    await stack.pool.query(`update tasks set status = 'processing', created_at = now() - interval '60 days', started_at = now() - interval '60 days' where id = $1`, [world.running]);
    await webhookEventOf(world.oldPdf);
    await webhookEventOf(world.newImage);
    // Ten chunks: more than one transaction's worth.
    world.oldOrphan = await storeOrphan(randomBytes(10 * 1024 * 1024 - 5), 25);
    world.freshOrphan = await storeOrphan(randomBytes(1000), 1);
    await finishedDaysAgo([world.oldImage, world.oldPdf], 31);
    await finishedDaysAgo([world.recent], 29);
    assert.equal(await count('select count(*)::int as n from idempotency_keys where task_id = $1', [world.oldPdf]), 1);

    await handle.trigger();
    const started = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action.workflow, 'the triggered run');
    const report = await client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result() as RetentionReport;

    assert.deepEqual(report, { tasks: 2, pages: 4, files: 2, bytes: world.pdfBytes + 10 * 1024 * 1024 - 5 });
    assert.deepEqual(await taskIds(), new Set([world.newImage, world.recent, world.running]));
    assert.equal(await pagesOf([world.oldImage, world.oldPdf]), 0);
    assert.equal(await pagesOf([world.newImage, world.recent]), 2, 'the kept tasks keep their pages');
    assert.equal(await count('select count(*)::int as n from webhook_events'), 1, 'only the kept task\'s webhook event stays');
    assert.equal(await count('select count(*)::int as n from webhook_deliveries'), 1);
    assert.equal(await count('select count(*)::int as n from idempotency_keys'), 0, 'the old task\'s key went with it');
    const files = await storedFiles();
    assert.deepEqual(new Set(files.keys()), new Set([world.sharedFile, world.recentFile, world.runningFile, world.freshOrphan]));
    for (const [hash, { chunks, chunkCount }] of files) assert.equal(chunks, chunkCount, `${hash} keeps every chunk`);
    assert.equal(await strayChunks(), 0);
  });

  test('`ocr retention run` prints what it deleted; at RETENTION_DAYS=0 only files no task uses go', async () => {
    const cachedRecent = path.join(filesCacheDir(stack.config), world.recentFile);
    assert.ok(existsSync(cachedRecent), 'the worker cached the file it read');
    await finishedDaysAgo([world.recent], 31);
    const orphan = await storeOrphan(randomBytes(3 * 1024 * 1024), 48);

    const keepAll = await retentionRun({ RETENTION_DAYS: '0' });
    assert.match(keepAll, /^RETENTION_DAYS=0: every task is kept/m);
    assert.deepEqual(printedReport(keepAll), { tasks: 0, pages: 0, files: 1, bytes: 3 * 1024 * 1024 });
    assert.ok((await taskIds()).has(world.recent));

    const expire = await retentionRun({ RETENTION_DAYS: '30' });
    assert.match(expire, /^RETENTION_DAYS=30: deleting tasks finished more than 30 days ago/m);
    const recentImage = await taggedImage(7105);
    assert.deepEqual(printedReport(expire), { tasks: 1, pages: 1, files: 1, bytes: recentImage.length });
    assert.match(expire, /^bytes \d+ \(0\.0 MB\)$/m);
    assert.deepEqual(await taskIds(), new Set([world.newImage, world.running]));
    assert.deepEqual(new Set((await storedFiles()).keys()), new Set([world.sharedFile, world.runningFile, world.freshOrphan]));
    assert.ok(!existsSync(cachedRecent), 'the local copy of a deleted file goes too');
    assert.ok(existsSync(path.join(filesCacheDir(stack.config), world.sharedFile)), 'the shared file\'s copy stays');

    assert.ok(!(await storedFiles()).has(orphan));
    assert.deepEqual(printedReport(await retentionRun({ RETENTION_DAYS: '30' })), { tasks: 0, pages: 0, files: 0, bytes: 0 }, 'nothing left to do');
  });

  test('a run stopped in the middle of a file leaves it claimed, and the next run finishes it', async () => {
    const orphan = await storeOrphan(randomBytes(5 * 1024 * 1024), 30);
    const stop = new AbortController();
    // RETENTION_DAYS=0: the first progress is then the first chunks deleted.
    const first = await applyRetention(stack.pool, { retentionDays: 0 }, { chunksPerBatch: 2, signal: stop.signal, onProgress: () => stop.abort() });
    assert.deepEqual(first, { tasks: 0, pages: 0, files: 0, bytes: 0 });
    const { rows: [claimed] } = await stack.pool.query<{ deleting: boolean }>('select deleting from files where sha256 = $1', [orphan]);
    assert.equal(claimed?.deleting, true);
    assert.equal((await storedFiles()).get(orphan)?.chunks, 3, 'two of five chunks went');

    assert.deepEqual(await applyRetention(stack.pool, { retentionDays: 30 }), { tasks: 0, pages: 0, files: 1, bytes: 5 * 1024 * 1024 });
    assert.ok(!(await storedFiles()).has(orphan));
  });

  test('the same bytes uploaded while retention deletes them are stored anew', async () => {
    const image = await taggedImage(7107);
    const hash = await storeOrphan(image, 30);
    // As a run leaves it between two transactions: claimed, its chunks gone, its row not yet.
    await stack.pool.query('update files set deleting = true where sha256 = $1', [hash]);
    await stack.pool.query('delete from file_chunks where sha256 = $1', [hash]);

    const taskId = await submit('image', image, 'again.png');
    const task = (await stack.pool.query<{ status: string }>('select status from tasks where id = $1', [taskId])).rows[0]!;
    assert.equal(task.status, 'completed');
    const { rows: [file] } = await stack.pool.query<{ deleting: boolean; fresh: boolean }>(
      `select deleting, last_upload_at > now() - interval '1 minute' as fresh from files where sha256 = $1`, [hash],
    );
    assert.deepEqual(file, { deleting: false, fresh: true });
    assert.equal((await storedFiles()).get(hash)?.chunks, 1);
    // Used by a task now: the next run leaves it alone.
    await applyRetention(stack.pool, { retentionDays: 30 });
    assert.ok((await storedFiles()).has(hash));
  });

  test('every row that references a task goes with it (on delete cascade)', async () => {
    const { rows } = await stack.pool.query<{ tbl: string; action: string }>(
      `select conrelid::regclass::text as tbl, confdeltype::text as action from pg_constraint where contype = 'f' and confrelid = 'tasks'::regclass order by 1`,
    );
    assert.ok(rows.length >= 3, JSON.stringify(rows));
    for (const row of rows) assert.equal(row.action, 'c', `${row.tbl} references tasks without on delete cascade: retention (deleteTaskRows) would fail on it`);
  });
});

test('a worker brings the schedule in line with RETENTION_DAYS, keeping an operator\'s pause', async () => {
  // A queue of its own: this schedule is not the stack worker's.
  const settings = { namespace: stack.config.temporal.namespace, taskQueue: `retention-${randomUUID()}` };
  const handle = client.schedule.getHandle(retentionScheduleId(settings.taskQueue));
  try {
    assert.equal(await syncRetentionSchedule(connection, { ...settings, retentionDays: 7 }), 'created');
    await handle.pause('paused by an operator');
    assert.equal(await syncRetentionSchedule(connection, { ...settings, retentionDays: 9 }), 'updated');
    const updated = await handle.describe();
    assert.deepEqual(updated.action.type === 'startWorkflow' && updated.action.args, [{ retentionDays: 9 }]);
    assert.deepEqual({ paused: updated.state.paused, note: updated.state.note }, { paused: true, note: 'paused by an operator' });

    assert.equal(await syncRetentionSchedule(connection, { ...settings, retentionDays: 0 }), 'deleted');
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
    assert.equal(await syncRetentionSchedule(connection, { ...settings, retentionDays: 0 }), 'absent');
  } finally {
    await handle.delete().catch(() => {});
  }
});
