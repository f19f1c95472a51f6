/**
 * Page images for review: a task's page drawn from its stored file, at the asked width, by the
 * API's render threads (never on its event loop), kept on disk for the next look. A preview depends
 * only on the file's bytes, the page and the asked size and format, so its ETag is known before
 * anything is drawn and a revalidation costs nothing.
 */
import { createHash } from 'node:crypto';
import type { PageImageFormat } from '../contract/index.js';
import type { PdfPool } from '../pdf/pool.js';
import { createLimiter, type Limiter } from '../activities/limiter.js';
import { cachedFilePath, FileNotStoredError } from '../store/files.js';
import type { Pool } from '../store/pool.js';
import type { TaskRow } from '../store/tasks.js';
import type { DiskCache } from './disk-cache.js';

export interface PreviewAsk { pageNumber: number; width: number; format: PageImageFormat }

export interface PagePreview { data: Buffer; mimeType: string; fromCache: boolean }

export interface PagePreviews {
  /**
   * Image requests in flight at once (the rest wait, round-robin by task, lower pages first): a
   * page of 50 thumbnails asked at once would otherwise queue before every other route on the
   * database pool and the event loop. The route takes it before it reads the task.
   */
  gate: Limiter;
  /** A strong ETag, quoted: the same for the same file, page, width and format, whichever task has them. */
  etag(task: TaskRow, ask: PreviewAsk): string;
  /** Undefined when the task's file is no longer stored. */
  get(task: TaskRow, ask: PreviewAsk): Promise<PagePreview | undefined>;
}

/** Raised when the page cannot be drawn (the file passed the upload's checks, this page does not). */
export class UnreadablePreviewError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreadablePreviewError';
  }
}

/** Changes when previews would be drawn differently: every ETag and cache entry changes with it. */
const RENDERER_VERSION = 1;

/** `inFlight`: requests served at once (PagePreviews.gate); twice the render threads keeps them busy. */
export interface PreviewDeps { pool: Pool; pdf: PdfPool; cache: DiskCache; filesDir: string; inFlight: number }

export function createPagePreviews({ pool, pdf, cache, filesDir, inFlight }: PreviewDeps): PagePreviews {
  const keyOf = (task: TaskRow, { pageNumber, width, format }: PreviewAsk) =>
    createHash('sha256').update([RENDERER_VERSION, task.file_sha256, task.mime_type, pageNumber, width, format].join('\0')).digest('hex');
  // The thumbnails of a task are asked for together, often twice (a page and its strip).
  const drawing = new Map<string, Promise<Buffer | undefined>>();

  async function draw(task: TaskRow, ask: PreviewAsk, key: string): Promise<Buffer | undefined> {
    let path: string;
    try {
      path = await cachedFilePath(pool, filesDir, task.file_sha256);
    } catch (err) {
      if (err instanceof FileNotStoredError) return undefined;
      throw err;
    }
    let data: Buffer;
    try {
      data = await pdf.preview({ path, mimeType: task.mime_type, ...ask });
    } catch (err) {
      throw new UnreadablePreviewError(`page ${ask.pageNumber} could not be drawn (${(err as Error).message})`, { cause: err });
    }
    // A full disk costs the next look a render, never this answer.
    await cache.put(key, data).catch(() => {});
    return data;
  }

  return {
    gate: createLimiter(inFlight),
    etag: (task, ask) => `"${keyOf(task, ask).slice(0, 32)}"`,
    async get(task, ask) {
      const key = keyOf(task, ask);
      const mimeType = `image/${ask.format}`;
      const cached = await cache.get(key);
      if (cached) return { data: cached, mimeType, fromCache: true };
      let pending = drawing.get(key);
      if (!pending) {
        pending = draw(task, ask, key).finally(() => drawing.delete(key));
        drawing.set(key, pending);
      }
      const data = await pending;
      return data && { data, mimeType, fromCache: false };
    },
  };
}
