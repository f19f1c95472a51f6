/**
 * `Content-Disposition: attachment` for a file name in any script (RFC 6266): `filename*` carries
 * it in UTF-8 (RFC 5987), `filename` an ASCII stand-in for clients that read only that one.
 */

/** RFC 5987 attr-chars stay, everything else is percent-encoded (encodeURIComponent leaves `'()*`). */
const encodeRfc5987 = (value: string) => encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `café.html` → `cafe.html`, `报告 2024.html` → `2024.html`; `fallback` when nothing readable is
 * left of the name (`报告.html`).
 */
function asciiFileName(fileName: string, fallback: string): string {
  const ascii = fileName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]+/g, '_').replace(/["\\%;]/g, '_');
  const dot = ascii.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [ascii.slice(0, dot), ascii.slice(dot)] : [ascii, ''];
  const trimmed = stem.replace(/^[\s_.-]+|[\s_.-]+$/g, '');
  return /[A-Za-z0-9]/.test(trimmed) ? `${trimmed}${ext}` : fallback;
}

export function attachmentDisposition(fileName: string, fallback: string): string {
  return `attachment; filename="${asciiFileName(fileName, fallback)}"; filename*=UTF-8''${encodeRfc5987(fileName)}`;
}

/**
 * An export's name after the upload's: `report.pdf` → `report.html` (`extension` ".html"), or
 * `report.searchable.pdf`; the name as the user gave it (Chinese included), without a path.
 */
export function exportFileName(fileName: string, extension: string): string {
  const base = fileName.split(/[/\\]/).pop()!.replace(/[\p{Cc}]/gu, '').trim();
  const stem = base.replace(/\.[\p{L}\p{N}]{1,8}$/u, '');
  return `${stem || 'export'}${extension}`;
}
