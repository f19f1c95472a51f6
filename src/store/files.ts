/**
 * Content-addressed file storage in Postgres. The API stores an upload once (by sha256); a worker on
 * any machine copies it into its local cache the first time it needs it (in binary COPY:
 * copy-binary.ts) and reads the disk after that. Retention deletes the files no task uses (below).
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { to as copyTo } from 'pg-copy-streams';
import { copyValues } from './copy-binary.js';
import { withClient, withTransaction, type Pool, type Queryable } from './pool.js';

const CHUNK_BYTES = 1024 * 1024;

/** Where a process keeps its local copies of stored files (shared by the processes of one DATA_DIR). */
export const filesCacheDir = (config: { dataDir: string }) => path.join(config.dataDir, 'cache', 'files');

export interface StoredFile { sha256: string; sizeBytes: number; mimeType: string }

/**
 * Copies a local file into the store unless a file with the same hash is already there, and marks
 * it as just uploaded either way: retention leaves a file alone for a while after that (the task
 * that uses it is inserted next).
 */
export async function storeFile(pool: Pool, localPath: string, file: StoredFile): Promise<void> {
  await withTransaction(pool, async (client) => {
    const chunkCount = Math.max(1, Math.ceil(file.sizeBytes / CHUNK_BYTES));
    // The row lock orders this upload with retention's claim on the file (claimUnusedFiles): a
    // claim made first is seen here, and a claim made later sees last_upload_at and passes over it.
    const { rows: [stored] } = await client.query<{ deleting: boolean }>('select deleting from files where sha256 = $1 for update', [file.sha256]);
    if (stored && !stored.deleting) {
      await client.query('update files set last_upload_at = now() where sha256 = $1', [file.sha256]);
      return;
    }
    // Retention is deleting these bytes chunk by chunk (no task uses them): finish that here and
    // store them anew, rather than trust a file that is missing chunks. Rare (the same bytes
    // uploaded again just as they expire), so the upload may pay for the rest of the deletion.
    if (stored) await client.query('delete from files where sha256 = $1', [file.sha256]);
    // A concurrent upload of the same bytes blocks on this insert until the first transaction
    // commits, then finds the row and skips the chunks.
    const inserted = await client.query(
      `insert into files (sha256, size_bytes, mime_type, chunk_count) values ($1, $2, $3, $4)
       on conflict (sha256) do nothing`,
      [file.sha256, file.sizeBytes, file.mimeType, chunkCount],
    );
    if (inserted.rowCount === 0) return;
    let seq = 0;
    // highWaterMark makes each read one chunk, so at most one chunk is in memory at a time.
    for await (const chunk of createReadStream(localPath, { highWaterMark: CHUNK_BYTES })) {
      await client.query('insert into file_chunks (sha256, seq, data) values ($1, $2, $3)', [file.sha256, seq++, chunk]);
    }
    if (seq !== chunkCount) throw new Error(`file ${localPath} changed while being stored (${seq} chunks, expected ${chunkCount})`);
  });
}

/** The store has no file with this hash (a task's file may go while its results stay). */
export class FileNotStoredError extends Error {
  constructor(sha256: string) {
    super(`file ${sha256} is not in the store`);
    this.name = 'FileNotStoredError';
  }
}

/**
 * Fetches under way in this process, by cache file: the batches of a task start together and all
 * need its file, and a 200 MB scan fetched once per batch would take that many times as long.
 */
const fetching = new Map<string, Promise<string>>();

/**
 * Returns the path of the file in the local cache, fetching it chunk by chunk first if needed.
 * Callers in one process share one fetch; processes sharing a cache directory may both fetch,
 * each into its own temp file, and the rename is atomic.
 */
export async function cachedFilePath(pool: Pool, cacheDir: string, sha256: string): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  const target = path.join(cacheDir, sha256);
  const cached = await stat(target).catch(() => undefined);
  if (cached?.isFile()) return target;
  let fetch = fetching.get(target);
  if (!fetch) {
    fetch = fetchIntoCache(pool, cacheDir, sha256, target).finally(() => fetching.delete(target));
    fetching.set(target, fetch);
  }
  return fetch;
}

async function fetchIntoCache(pool: Pool, cacheDir: string, sha256: string, target: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const temp = path.join(cacheDir, `.${sha256}.${randomUUID()}.part`);
  const handle = await open(temp, 'w');
  try {
    await withClient(pool, async (client) => {
      const { rows } = await client.query<{ chunk_count: number; size_bytes: number }>('select chunk_count, size_bytes from files where sha256 = $1', [sha256]);
      if (rows.length === 0) throw new FileNotStoredError(sha256);
      // COPY takes no parameters: the hash is checked to be hex above.
      const stream = client.query(copyTo(`copy (select data from file_chunks where sha256 = '${sha256}' order by seq) to stdout (format binary)`));
      let written = 0;
      for await (const piece of copyValues(stream, rows[0]!.chunk_count)) written += (await handle.write(piece)).bytesWritten;
      if (written !== rows[0]!.size_bytes) throw new Error(`file ${sha256} has ${written} bytes in the store, expected ${rows[0]!.size_bytes}`);
    });
    await handle.close();
    await rename(temp, target);
    return target;
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
}

/*
 * Retention's side of the store (tasks/retention.ts). A file no task uses goes in three steps, each
 * its own short transaction: it is claimed (`deleting`), its chunks go a few at a time, then its
 * row. An upload of the same bytes at any point sees the claim and stores them anew (storeFile).
 */

/**
 * Up to `limit` files after `after` (by hash: one pass over the table, however many it finds) that
 * no task uses and that no upload has stored or found for `graceHours`, or that an earlier run
 * claimed and did not finish.
 */
export async function findUnusedFiles(db: Queryable, after: string, graceHours: number, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ sha256: string }>(
    `select sha256 from files f
     where f.sha256 > $1 and (f.deleting or f.last_upload_at < now() - make_interval(hours => $2))
       and not exists (select 1 from tasks t where t.file_sha256 = f.sha256)
     order by f.sha256 limit $3`,
    [after, graceHours, limit],
  );
  return rows.map((r) => r.sha256);
}

/** Marks those of these files that still qualify as being deleted; the hashes it marked. */
export async function claimUnusedFiles(db: Queryable, sha256s: string[], graceHours: number): Promise<string[]> {
  const { rows } = await db.query<{ sha256: string }>(
    `update files f set deleting = true
     where f.sha256 = any($1::text[]) and (f.deleting or f.last_upload_at < now() - make_interval(hours => $2))
       and not exists (select 1 from tasks t where t.file_sha256 = f.sha256)
     returning f.sha256`,
    [sha256s, graceHours],
  );
  return rows.map((r) => r.sha256);
}

/**
 * Deletes up to `limit` chunks of these files while they are still claimed; how many it deleted
 * (0: none left). Chunks of bytes an upload stored anew meanwhile are not the claimed file's.
 */
export async function deleteClaimedChunks(db: Queryable, sha256s: string[], limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from file_chunks c using (
       select c2.sha256, c2.seq from file_chunks c2 join files f on f.sha256 = c2.sha256
       where f.sha256 = any($1::text[]) and f.deleting
       limit $2
     ) doomed
     where c.sha256 = doomed.sha256 and c.seq = doomed.seq`,
    [sha256s, limit],
  );
  return rowCount ?? 0;
}

/** Deletes the rows of these files that are still claimed (any chunk left goes with them); what they held. */
export async function deleteClaimedFiles(db: Queryable, sha256s: string[]): Promise<Array<{ sha256: string; sizeBytes: number }>> {
  const { rows } = await db.query<{ sha256: string; size_bytes: number }>(
    'delete from files where sha256 = any($1::text[]) and deleting returning sha256, size_bytes',
    [sha256s],
  );
  return rows.map((r) => ({ sha256: r.sha256, sizeBytes: r.size_bytes }));
}
