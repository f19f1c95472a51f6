/**
 * Streams multipart file fields to temp files, hashing them on the way and enforcing the size limit
 * while the bytes arrive: the API never holds an upload in memory. Types are decided by magic bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { fileTypeFromFile } from 'file-type';
import type { Context } from 'koa';
import { PDF_HEADER_WITHIN } from '../../contract/index.js';
import { httpError } from './errors.js';

export interface Upload {
  path: string;
  fileName: string;
  size: number;
  sha256: string;
  /** From the file's magic bytes, not from what the client claimed; undefined when unknown. */
  mimeType: string | undefined;
  /** The file went over the size limit and was cut off (its bytes are not kept). */
  tooLarge: boolean;
  /** Deletes the temp file. Safe to call more than once. */
  discard(): Promise<void>;
}

export interface FilesOptions {
  field: string;
  maxFiles: number;
  /** Per file. */
  maxBytes: number;
  /** When set, more than maxFiles files is this 400; otherwise extra files are ignored. */
  tooManyMessage?: string;
}

/** A file name from a client: only the last path component, no control characters, bounded length. */
export function cleanFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'upload' : cleaned;
}

/** What a multipart request carried: its files and its other fields (the last value of each name). */
export interface Received<T> { files: T; fields: Record<string, string> }

/** Receives every file of `field` (in order), each to its own temp file, and the fields beside them. */
export async function receiveFiles(ctx: Context, tmpDir: string, opts: FilesOptions): Promise<Received<Upload[]>> {
  if (!ctx.is('multipart/form-data')) {
    throw httpError(400, 'invalid_multipart', `Expected a multipart/form-data upload with the file in field "${opts.field}"`);
  }
  await mkdir(tmpDir, { recursive: true });
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      // Browsers, curl and fetch send a file name's UTF-8 bytes as they are; busboy's default
      // (latin1) would store a Chinese name as mojibake.
      defParamCharset: 'utf8',
      limits: { files: opts.maxFiles, fileSize: opts.maxBytes, fields: 20, fieldSize: 64 * 1024, parts: opts.maxFiles + 40, headerPairs: 100 },
    });
  } catch (err) {
    throw httpError(400, 'invalid_multipart', `Malformed multipart request: ${(err as Error).message}`);
  }

  const saving: Array<Promise<Upload>> = [];
  const fields: Record<string, string> = {};
  let tooMany = false;
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('file', (name, stream, info) => {
        if (name !== opts.field) {
          stream.resume(); // not ours: drain and ignore
          return;
        }
        saving.push(saveStream(stream, tmpDir, info.filename));
      });
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) reject(httpError(400, 'invalid_option', `Option "${name}": expected at most 64 KB`));
        else fields[name] = value;
      });
      parser.on('filesLimit', () => { tooMany = true; });
      parser.on('error', (err: Error) => reject(httpError(400, 'invalid_multipart', `Malformed multipart request: ${err.message}`)));
      parser.on('close', () => resolve());
      ctx.req.on('aborted', () => reject(httpError(400, 'upload_aborted', 'The upload was interrupted')));
      ctx.req.pipe(parser);
    });
    const files = await Promise.all(saving);
    if (tooMany && opts.tooManyMessage) throw httpError(400, 'too_many_files', opts.tooManyMessage);
    return { files, fields };
  } catch (err) {
    ctx.req.unpipe(parser);
    ctx.req.resume(); // let the rest of the body drain so the client still reads our answer
    const settled = await Promise.allSettled(saving);
    await Promise.all(settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.discard()));
    throw err;
  }
}

/** How saveStream receives: decoded on the way (a JSON body's base64), cut off past a size. */
interface SaveOptions {
  /** Past this many (decoded) bytes the rest is read and dropped, and the file is `tooLarge`. */
  maxBytes?: number;
  /** Turns what arrives into the file's bytes. */
  decode?: Transform;
}

/**
 * Streams to a temp file, hashing and measuring on the way. A size limit keeps reading (and
 * dropping) what is over it, so the client still reads the answer; busboy enforces its own limit
 * and emits 'limit' instead.
 */
async function saveStream(stream: NodeJS.ReadableStream, tmpDir: string, clientName: string | undefined, opts: SaveOptions = {}): Promise<Upload> {
  const tempPath = path.join(tmpDir, `upload-${randomUUID()}`);
  const discard = () => rm(tempPath, { force: true });
  const hash = createHash('sha256');
  let size = 0;
  let tooLarge = false;
  stream.on('limit', () => { tooLarge = true; });
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (opts.maxBytes !== undefined && size > opts.maxBytes) tooLarge = true;
      if (tooLarge) return done();
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await (opts.decode ? pipeline(stream, opts.decode, meter, createWriteStream(tempPath)) : pipeline(stream, meter, createWriteStream(tempPath)));
  } catch (err) {
    await discard();
    throw err;
  }
  if (tooLarge) await discard(); // a truncated file is never used: drop its bytes now
  const mimeType = !tooLarge && size > 0 ? await detectType(tempPath) : undefined;
  return { path: tempPath, fileName: cleanFileName(clientName), size, sha256: hash.digest('hex'), mimeType, tooLarge, discard };
}

/**
 * A request's whole body as one file (the Azure routes send the document so), through `decode` if
 * given. The caller checks `tooLarge` and `size`; an interrupted upload is a 400.
 */
export async function receiveBody(ctx: Context, tmpDir: string, opts: SaveOptions & { fileName: string }): Promise<Upload> {
  await mkdir(tmpDir, { recursive: true });
  try {
    return await saveStream(ctx.req, tmpDir, opts.fileName, opts);
  } catch (err) {
    // The client went away mid-body (the request closed early or was reset); anything else (a full disk) is ours.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') throw httpError(400, 'upload_aborted', 'The upload was interrupted');
    throw err;
  }
}


/** The type by magic bytes; a PDF also when its header comes after a few bytes of something else. */
async function detectType(file: string): Promise<string | undefined> {
  const detected = (await fileTypeFromFile(file))?.mime;
  if (detected) return detected;
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(PDF_HEADER_WITHIN), 0, PDF_HEADER_WITHIN, 0);
    return buffer.subarray(0, bytesRead).includes('%PDF-') ? 'application/pdf' : undefined;
  } finally {
    await handle.close();
  }
}

/** One file in field `field`: missing, empty and too-large files are 400s with the messages clients
 * of the old service know (docs/compatibility.md, "Limits and their messages"). */
export async function receiveUpload(ctx: Context, tmpDir: string, limits: { field: string; maxBytes: number; tooLargeMessage: string }): Promise<Received<Upload>> {
  const { files: [upload], fields } = await receiveFiles(ctx, tmpDir, { field: limits.field, maxFiles: 1, maxBytes: limits.maxBytes });
  if (!upload) throw httpError(400, 'missing_file', `未收到文件 (no file in field "${limits.field}")`);
  if (upload.tooLarge) throw httpError(400, 'file_too_large', limits.tooLargeMessage);
  if (upload.size === 0) {
    await upload.discard();
    throw httpError(400, 'empty_file', '文件内容为空');
  }
  return { files: upload, fields };
}
