/**
 * What every submit route (ours and the Azure-compatible one) decides about a received file before
 * it becomes a task: its pages (an image's frames or a PDF's pages, narrowed by the `pages` option)
 * and what its task should warn of. Refusals are the 400s of image-check.ts and pdf-check.ts.
 */
import { UPLOAD_IMAGE_TYPES, type TaskOptions, type TaskType, type TaskWarning } from '../../contract/index.js';
import type { PdfPool } from '../../pdf/pool.js';
import { parsePageRanges } from '../../tasks/page-ranges.js';
import { httpError } from './errors.js';
import { checkImage } from './image-check.js';
import { checkPdf } from './pdf-check.js';

/** Decided by magic bytes. BMP and TIFF are converted to PNG before they reach the model. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(UPLOAD_IMAGE_TYPES);

/** A file that may become a task, and the task it becomes. */
export interface AcceptedFile { taskType: TaskType; totalPages: number; warnings: TaskWarning[] }

/** How many pages the task reads: those its `pages` option names, each within the document's `documentPages`. */
export function selectedPages(options: TaskOptions, documentPages: number): number {
  if (!options.pages) return documentPages;
  const pages = parsePageRanges(options.pages);
  const last = pages.at(-1)!;
  if (last > documentPages) throw httpError(400, 'invalid_option', `Option "pages": page ${last} is beyond the document, which has ${documentPages} page${documentPages === 1 ? '' : 's'}`);
  return pages.length;
}

/** An image of one of IMAGE_TYPES (the caller has checked the type, with its own message). */
export async function acceptImage(pdf: PdfPool, path: string, mimeType: string, options: TaskOptions, maxPages: number): Promise<AcceptedFile> {
  return { taskType: 'image_ocr', totalPages: selectedPages(options, await checkImage(pdf, path, mimeType, maxPages)), warnings: [] };
}

export async function acceptPdf(pdf: PdfPool, path: string, options: TaskOptions, maxPages: number): Promise<AcceptedFile> {
  const checked = await checkPdf(pdf, path, maxPages);
  return { taskType: 'pdf_ocr', totalPages: selectedPages(options, checked.totalPages), warnings: checked.warnings };
}
