/**
 * Checks a file before it is uploaded, with the limits and the words the server uses: its type
 * from its first bytes (as the server decides it), its size, and a PDF's page count.
 */
import type { Message } from './i18n.js';
import type { PageConfig } from './config.js';

export type FileKind = 'image' | 'pdf' | 'unknown';

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) => signature.every((b, i) => bytes[offset + i] === b);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The types the server accepts: PNG, JPEG, WebP, GIF, BMP, TIFF and PDF, by magic bytes. */
export async function sniffKind(file: Blob): Promise<FileKind> {
  const bytes = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  const image = startsWith(bytes, [0x89, 0x50, 0x4e, 0x47]) // PNG
    || startsWith(bytes, [0xff, 0xd8, 0xff]) // JPEG
    || startsWith(bytes, ascii('GIF8'))
    || (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8))
    || startsWith(bytes, ascii('BM'))
    || startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) // TIFF, little-endian
    || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]); // TIFF, big-endian
  if (image) return 'image';
  // A PDF header may follow some junk bytes (readers accept it within the first kilobyte).
  const head = new TextDecoder('latin1').decode(bytes);
  return head.includes('%PDF-') ? 'pdf' : 'unknown';
}

/** Files larger than this are not read here just to count pages: the server counts them. */
const MAX_COUNTED_BYTES = 64 * 1024 * 1024;

/**
 * A PDF's page count from its page objects, or undefined when they cannot be seen (compressed
 * object streams, or too large a file). Only a hint for the card and the early limit check: the
 * server counts with a real PDF reader.
 */
export async function countPdfPages(file: Blob): Promise<number | undefined> {
  if (file.size > MAX_COUNTED_BYTES) return undefined;
  const text = new TextDecoder('latin1').decode(await file.arrayBuffer());
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  return pages > 0 ? pages : undefined;
}

/** Why the server would refuse this file, in its words; undefined when it looks fine. */
export function refusal(kind: FileKind, size: number, pages: number | undefined, config: PageConfig): Message | undefined {
  if (size === 0) return { key: 'limit.empty' };
  if (kind === 'unknown') return { key: 'limit.type' };
  if (kind === 'image' && size > config.maxImageMb * 1024 * 1024) return { key: 'limit.imageSize', vars: { n: config.maxImageMb } };
  if (kind === 'pdf' && size > config.maxPdfMb * 1024 * 1024) return { key: 'limit.pdfSize', vars: { n: config.maxPdfMb } };
  if (kind === 'pdf' && pages !== undefined && pages > config.maxPdfPages) return { key: 'limit.pdfPages', vars: { n: config.maxPdfPages, pages } };
  return undefined;
}
