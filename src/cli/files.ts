/**
 * The files a submit names: paths, directories (walked, hidden entries skipped) and globs, expanded
 * to the PDFs and images the service reads. A file's type is decided by its bytes, as the server
 * decides it (api/http/upload.ts); in a directory or a glob only names with a known extension are
 * looked at, so a folder of notes beside the scans is no error. A file named on its own that is
 * not one of them is the "unsupported" exit.
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { glob, isDynamicPattern } from 'tinyglobby';
import { PDF_HEADER_WITHIN, UPLOAD_IMAGE_TYPES } from '../contract/index.js';
import { CliError, EXIT } from './exit-codes.js';

export type FileKind = 'image' | 'pdf';

export interface LocalFile {
  path: string;
  /** The name it is uploaded under (and its result named after). */
  name: string;
  size: number;
  kind: FileKind;
  mimeType: string;
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(UPLOAD_IMAGE_TYPES);
const EXTENSIONS = new Set(['.pdf', '.png', '.jpg', '.jpeg', '.jpe', '.webp', '.gif', '.bmp', '.tif', '.tiff']);
const SNIFF_BYTES = 4100;

export const SUPPORTED_TYPES_TEXT = 'a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image';

async function sniff(file: string): Promise<{ kind: FileKind; mimeType: string } | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    const mime = (await fileTypeFromBuffer(head))?.mime;
    if (mime === 'application/pdf' || (!mime && head.subarray(0, PDF_HEADER_WITHIN).includes('%PDF-'))) return { kind: 'pdf', mimeType: 'application/pdf' };
    return mime && IMAGE_TYPES.has(mime) ? { kind: 'image', mimeType: mime } : undefined;
  } finally {
    await handle.close();
  }
}

async function describe(file: string, size: number): Promise<LocalFile> {
  const type = await sniff(file);
  if (!type) throw new CliError(EXIT.unsupported, `${file}: not ${SUPPORTED_TYPES_TEXT}; only those can be read`);
  return { path: file, name: path.basename(file), size, ...type };
}

const hasKnownExtension = (file: string) => EXTENSIONS.has(path.extname(file).toLowerCase());

/** The files under `dir` with a known extension, in name order, hidden files and folders left out. */
async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else if (entry.isFile() && hasKnownExtension(entry.name)) found.push(full);
  }
  return found;
}

/** Every argument expanded, each file once (by its real path), in the order given. */
export async function collectFiles(args: string[]): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const seen = new Set<string>();
  const add = async (file: string, size: number) => {
    const real = await realpath(file);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(await describe(file, size));
  };
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info?.isFile()) {
      await add(arg, info.size);
      continue;
    }
    let matches: string[];
    if (info?.isDirectory()) matches = await walk(arg);
    else if (!info && isDynamicPattern(arg)) matches = (await glob(arg, { onlyFiles: true, expandDirectories: false })).filter(hasKnownExtension).sort();
    else throw new CliError(EXIT.usage, `${arg}: no such file or directory`);
    const before = files.length;
    for (const match of matches) await add(match, (await stat(match)).size);
    if (files.length === before && matches.length === 0) throw new CliError(EXIT.usage, `${arg}: holds no PDF or image (.pdf .png .jpg .webp .gif .bmp .tif)`);
  }
  return files;
}
