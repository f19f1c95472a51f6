/**
 * Streams one multipart file field to a temp file, hashing it on the way and enforcing the size limit
 * while the bytes arrive: the API never holds an upload in memory. Types are decided by magic bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { fileTypeFromFile } from 'file-type';
import type { Context } from 'koa';
import { httpError } from './errors.js';

export interface Upload {
  path: string;
  fileName: string;
  size: number;
  sha256: string;
  /** From the file's magic bytes, not from what the client claimed; undefined when unknown. */
  mimeType: string | undefined;
  /** Deletes the temp file. Safe to call more than once. */
  discard(): Promise<void>;
}

export interface UploadLimits {
  field: string;
  maxBytes: number;
  /** The seed's message for a too-large file, e.g. 文件过大，最大支持50MB. */
  tooLargeMessage: string;
}

/** A file name from a client: only the last path component, no control characters, bounded length. */
export function cleanFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'upload' : cleaned;
}

export async function receiveUpload(ctx: Context, tmpDir: string, limits: UploadLimits): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) {
    throw httpError(400, 'invalid_multipart', `Expected a multipart/form-data upload with the file in field "${limits.field}"`);
  }
  await mkdir(tmpDir, { recursive: true });
  const tempPath = path.join(tmpDir, `upload-${randomUUID()}`);
  const discard = () => rm(tempPath, { force: true });

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      limits: { files: 1, fileSize: limits.maxBytes, fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 },
    });
  } catch (err) {
    throw httpError(400, 'invalid_multipart', `Malformed multipart request: ${(err as Error).message}`);
  }

  try {
    const received = await new Promise<{ fileName: string; size: number; sha256: string } | undefined>((resolve, reject) => {
      let saving: Promise<{ fileName: string; size: number; sha256: string } | 'too_large'> | undefined;
      parser.on('file', (name, stream, info) => {
        if (name !== limits.field || saving) {
          stream.resume(); // not ours: drain and ignore
          return;
        }
        const hash = createHash('sha256');
        let size = 0;
        let tooLarge = false;
        stream.on('limit', () => { tooLarge = true; });
        const meter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            size += chunk.length;
            hash.update(chunk);
            done(null, chunk);
          },
        });
        saving = pipeline(stream, meter, createWriteStream(tempPath)).then(() =>
          tooLarge ? 'too_large' : { fileName: cleanFileName(info.filename), size, sha256: hash.digest('hex') });
        saving.catch(() => {}); // awaited on 'close'; avoid an unhandled rejection meanwhile
      });
      parser.on('error', (err: Error) => reject(httpError(400, 'invalid_multipart', `Malformed multipart request: ${err.message}`)));
      parser.on('close', () => {
        if (!saving) return resolve(undefined);
        saving.then((r) => (r === 'too_large' ? reject(httpError(400, 'file_too_large', limits.tooLargeMessage)) : resolve(r)), reject);
      });
      ctx.req.on('aborted', () => reject(httpError(400, 'upload_aborted', 'The upload was interrupted')));
      ctx.req.pipe(parser);
    });

    if (!received) throw httpError(400, 'missing_file', `未收到文件 (no file in field "${limits.field}")`);
    if (received.size === 0) throw httpError(400, 'empty_file', '文件内容为空');
    const type = await fileTypeFromFile(tempPath);
    return { path: tempPath, ...received, mimeType: type?.mime, discard };
  } catch (err) {
    ctx.req.unpipe(parser);
    ctx.req.resume(); // let the rest of the body drain so the client still reads our answer
    await discard();
    throw err;
  }
}
