/**
 * How a submit's files go up: checked against the server's limits first (a file over them stops
 * the run before anything is uploaded: no half-submitted set), then cut into requests. Several
 * files share a request to the batch route up to the server's 20 files (MAX_BATCH_FILES in
 * api/http/schemas.ts) and a byte budget, so that a failed request costs little to send again and
 * a small file is not held behind a large one; a file alone, or too large to share, takes its own
 * route. The batch answer tells its files apart by name only, so names are unique within a batch,
 * and a name the server would store otherwise (cleanFileName in api/http/upload.ts drops control
 * characters and blanks at the ends; a `"` travels escaped) goes on its own route too.
 */
import type { PageConfig } from '../contract/index.js';
import { CliError, EXIT } from './exit-codes.js';
import type { LocalFile } from './files.js';

export const MAX_BATCH_FILES = 20;
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

export type Limits = Pick<PageConfig, 'maxImageMb' | 'maxPdfMb'>;

/** The first file over the limits, as the one line the run stops with. */
export function checkLimits(files: LocalFile[], limits: Limits | undefined): void {
  if (!limits) return;
  for (const file of files) {
    const [limit, setting] = file.kind === 'pdf' ? [limits.maxPdfMb, 'MAX_PDF_SIZE_MB'] : [limits.maxImageMb, 'MAX_IMAGE_SIZE_MB'];
    if (file.size > limit * MB) {
      throw new CliError(EXIT.tooLarge, `${file.path}: ${mb(file.size)} MB is over this server's limit of ${limit} MB for ${file.kind === 'pdf' ? 'a PDF' : 'an image'} (its ${setting}); split or shrink it`);
    }
  }
}

/** Whether the server lists the file under the very name it was sent with. */
// eslint-disable-next-line no-control-regex
const keepsItsName = (name: string) => name.length <= 255 && name === name.trim() && !/[\u0000-\u001f\u007f"\\]/.test(name);

/** The requests, in the files' order. */
export function planUploads(files: LocalFile[], maxFiles = MAX_BATCH_FILES, maxBytes = MAX_BATCH_BYTES): LocalFile[][] {
  const requests: LocalFile[][] = [];
  let batch: LocalFile[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length > 0) requests.push(batch);
    batch = [];
    bytes = 0;
  };
  for (const file of files) {
    if (file.size > maxBytes || !keepsItsName(file.name)) {
      requests.push([file]);
      continue;
    }
    if (batch.length >= maxFiles || bytes + file.size > maxBytes || batch.some((f) => f.name === file.name)) flush();
    batch.push(file);
    bytes += file.size;
  }
  flush();
  return requests;
}
