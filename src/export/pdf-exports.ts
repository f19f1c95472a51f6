/**
 * Searchable PDFs of finished tasks, made on demand by the API's export thread and kept on disk
 * (DATA_DIR/cache/exports) under a key of the file and of what its pages say: a retried page
 * changes the key, so the next export is made anew, and an unchanged task is served from disk
 * with a revalidation that costs one query. Answers are read from disk as they are sent: a
 * 500-page export never sits in the API's memory.
 */
import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { PdfPool } from '../pdf/pool.js';
import type { PageDimensions } from './searchable-pdf.js';
import { cachedFilePath, FileNotStoredError } from '../store/files.js';
import { completedContents, contentDigest } from '../store/pages.js';
import type { Pool } from '../store/pool.js';
import type { TaskRow } from '../store/tasks.js';
import type { DiskCache } from '../previews/disk-cache.js';

/** A searchable PDF ready to send: open for reading, its size known for Content-Length. */
export interface PdfExport { file: FileHandle; size: number }

/** A task's export as its pages read now: known by its ETag before anything is made. */
export interface PdfVersion {
  /** A strong ETag, quoted: changes when the task's file or any page's text or status does. */
  etag: string;
  /** Undefined when the task's file is no longer stored (its text is, but there are no pages to lay it on). */
  get(): Promise<PdfExport | undefined>;
}

export interface PdfExports {
  /** One query (the pages' digest); a revalidation that matches `etag` needs nothing more. */
  version(task: TaskRow): Promise<PdfVersion>;
  /** Each page of the task's file as displayed (a PDF's in points, an image's in pixels); undefined as for `get`. */
  pageSizes(task: TaskRow): Promise<PageDimensions[] | undefined>;
}

/** Raised when the file cannot be made into a PDF (it passed the upload's checks, this does not). */
export class UnreadableExportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreadableExportError';
  }
}

/** Changes when exports would be made differently: every key and ETag changes with it. */
const EXPORT_VERSION = 1;

export interface PdfExportDeps { pool: Pool; pdf: PdfPool; cache: DiskCache; filesDir: string }

export function createPdfExports({ pool, pdf, cache, filesDir }: PdfExportDeps): PdfExports {
  const keyOf = async (task: TaskRow) =>
    createHash('sha256').update([EXPORT_VERSION, task.file_sha256, task.mime_type, await contentDigest(pool, task.id)].join('\0')).digest('hex');
  // A task's export asked twice at once (a double click, a client and its retry) is made once.
  const making = new Map<string, Promise<void>>();

  async function localFile(task: TaskRow): Promise<string | undefined> {
    try {
      return await cachedFilePath(pool, filesDir, task.file_sha256);
    } catch (err) {
      if (err instanceof FileNotStoredError) return undefined;
      throw err;
    }
  }

  /** Makes the export into the cache; resolves to it opened (it may be too large to stay cached). */
  async function make(task: TaskRow, key: string, path: string): Promise<PdfExport> {
    const outPath = cache.partPath(key);
    try {
      const pages = (await completedContents(pool, task.id)).map((p) => ({ pageNumber: p.pageNumber, markdown: p.content }));
      let size: number;
      try {
        size = await pdf.searchablePdf({ path, mimeType: task.mime_type, pages, outPath });
      } catch (err) {
        throw new UnreadableExportError(`the searchable PDF could not be made (${(err as Error).message})`, { cause: err });
      }
      const file = await open(outPath, 'r');
      await cache.adopt(key, outPath);
      return { file, size };
    } catch (err) {
      await rm(outPath, { force: true });
      throw err;
    }
  }

  return {
    async version(task) {
      const key = await keyOf(task);
      return { etag: `"${key.slice(0, 32)}"`, get: () => exportOf(task, key) };
    },
    async pageSizes(task) {
      const path = await localFile(task);
      return path === undefined ? undefined : pdf.pageSizes(path, task.mime_type);
    },
  };

  /** The export under `key`: from disk, or made (once, however many ask at once). */
  async function exportOf(task: TaskRow, key: string): Promise<PdfExport | undefined> {
    const cached = await cache.open(key);
    if (cached) return { file: cached, size: (await cached.stat()).size };
    const path = await localFile(task);
    if (!path) return undefined;
    const pending = making.get(key);
    if (pending) {
      await pending.catch(() => {});
      const made = await cache.open(key);
      if (made) return { file: made, size: (await made.stat()).size };
    }
    const result = make(task, key, path);
    const done = result.then(() => {}, () => {}).finally(() => making.delete(key));
    making.set(key, done);
    return result;
  }
}
