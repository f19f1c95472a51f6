/**
 * A task's searchable PDF as an answer, for every route that serves one (the export, Azure's /pdf):
 * revalidated by its ETag (one query, nothing made for a match), then made or read from the export
 * cache and streamed from disk. The caller says what a missing file is in its own error shape.
 */
import type { Context } from 'koa';
import { UnreadableExportError, type PdfExports } from '../../export/pdf-exports.js';
import type { TaskRow } from '../../store/tasks.js';
import { httpError } from './errors.js';

export async function sendSearchablePdf(ctx: Context, exports: PdfExports, task: TaskRow, fileGone: () => Error): Promise<void> {
  const version = await exports.version(task);
  ctx.set('ETag', version.etag);
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  let made;
  try {
    made = await version.get();
  } catch (err) {
    if (err instanceof UnreadableExportError) throw httpError(422, 'unreadable_file', err.message);
    throw err;
  }
  if (!made) throw fileGone();
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = 'application/pdf';
  ctx.length = made.size;
  // The stream closes the file when it ends, or when the client leaves.
  ctx.body = made.file.createReadStream();
}
