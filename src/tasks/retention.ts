/**
 * Retention: deletes the tasks that finished more than RETENTION_DAYS ago (with their pages and
 * every row that references them), then the stored files no task uses. The same code runs in the
 * daily schedule's activity and in `ocr retention run`. Everything goes in small transactions, so
 * no lock is held for long and a run stopped at any point leaves a consistent database: the next
 * run picks up where it stopped.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { claimUnusedFiles, deleteClaimedChunks, deleteClaimedFiles, findUnusedFiles } from '../store/files.js';
import { withTransaction, type Pool } from '../store/pool.js';
import { deleteTaskRows, lockExpiredTasks } from '../store/tasks.js';
import type { RetentionInput, RetentionReport } from '../workflows/types.js';

/**
 * How long a file no task uses is kept after an upload last stored or found it. It covers the moment
 * between storing an upload and inserting its task (an upload never waits a day for that), and
 * leaves the files of uploads that failed there, or of a crash, long enough to look into.
 */
export const UNUSED_FILE_GRACE_HOURS = 24;

export interface RetentionOptions {
  /** Tasks deleted per transaction. Their pages go in the same one: a few hundred rows per task at most. */
  tasksPerBatch?: number;
  /** Files claimed per transaction. */
  filesPerBatch?: number;
  /** 1 MiB chunks deleted per transaction: a 200 MB scan goes in 25 short ones. */
  chunksPerBatch?: number;
  /** Where this process keeps local copies of stored files: those of deleted files go too. */
  cacheDir?: string;
  /** What an earlier attempt of the same run deleted (the activity's heartbeat details). */
  startFrom?: RetentionReport;
  /** After each transaction, with the totals so far. */
  onProgress?: (report: RetentionReport) => void;
  /** Stops between transactions; the report then says what was deleted until then. */
  signal?: AbortSignal;
}

export const NOTHING_DELETED: RetentionReport = { tasks: 0, pages: 0, files: 0, bytes: 0 };

export async function applyRetention(pool: Pool, input: RetentionInput, options: RetentionOptions = {}): Promise<RetentionReport> {
  const report = { ...(options.startFrom ?? NOTHING_DELETED) };
  const stopped = () => options.signal?.aborted ?? false;
  const progress = () => options.onProgress?.({ ...report });

  // 0 keeps every task; the files no task uses are garbage whatever RETENTION_DAYS says.
  if (input.retentionDays > 0) {
    const limit = options.tasksPerBatch ?? 100;
    for (let more = true; more && !stopped();) {
      const deleted = await withTransaction(pool, async (tx) => deleteTaskRows(tx, await lockExpiredTasks(tx, input.retentionDays, limit)));
      report.tasks += deleted.tasks;
      report.pages += deleted.pages;
      more = deleted.tasks === limit;
      progress();
    }
  }

  // The files of the tasks just deleted are among these: they have no task now and no upload for
  // at least RETENTION_DAYS (a file shared with a kept task still has one).
  const filesLimit = options.filesPerBatch ?? 100;
  let after = '';
  while (!stopped()) {
    const found = await findUnusedFiles(pool, after, UNUSED_FILE_GRACE_HOURS, filesLimit);
    if (found.length === 0) break;
    after = found.at(-1)!;
    const claimed = await claimUnusedFiles(pool, found, UNUSED_FILE_GRACE_HOURS);
    if (claimed.length === 0) continue;
    while (!stopped() && (await deleteClaimedChunks(pool, claimed, options.chunksPerBatch ?? 8)) > 0) progress();
    // Stopped with chunks left: the files stay claimed, and the next run finishes them.
    if (stopped()) break;
    const deleted = await deleteClaimedFiles(pool, claimed);
    report.files += deleted.length;
    report.bytes += deleted.reduce((sum, f) => sum + f.sizeBytes, 0);
    if (options.cacheDir) await Promise.all(deleted.map((f) => rm(path.join(options.cacheDir!, f.sha256), { force: true })));
    progress();
  }
  return report;
}
