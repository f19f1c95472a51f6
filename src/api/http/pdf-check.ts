/** Accepts or refuses an uploaded PDF: can it be opened, is it locked, how many pages. */
import type { TaskWarning } from '../../contract/index.js';
import type { PdfPool } from '../../pdf/pool.js';
import { httpError } from './errors.js';

/** An accepted PDF: its pages, and what its task should warn of (a file mupdf had to repair). */
export interface CheckedPdf { totalPages: number; warnings: TaskWarning[] }

/**
 * Returns the page count, or throws the 400 the old service gave (or would have given) for the problem
 * (docs/compatibility.md, "Limits and their messages").
 */
export async function checkPdf(pdf: PdfPool, path: string, maxPages: number): Promise<CheckedPdf> {
  const result = await pdf.inspect(path);
  if (!result.ok) {
    switch (result.problem) {
      case 'encrypted':
        throw httpError(400, 'pdf_encrypted', 'PDF文件已加密，请移除密码后重新上传 (the PDF is password-protected: remove the password and upload it again)');
      case 'no_pages':
        throw httpError(400, 'pdf_no_pages', 'PDF文件没有页面 (the PDF has no pages)');
      case 'corrupt':
        throw httpError(400, 'pdf_corrupt', 'PDF文件格式错误或损坏');
    }
  }
  if (result.pageCount > maxPages) {
    throw httpError(400, 'pdf_too_many_pages', `PDF页数过多，最大支持${maxPages}页 (the PDF has ${result.pageCount} pages)`);
  }
  return { totalPages: result.pageCount, warnings: result.repaired ? ['pdf_repaired'] : [] };
}
