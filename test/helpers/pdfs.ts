/**
 * PDFs made with mupdf for tests and benchmarks. Each page carries its tag as 16 bars across a strip
 * through the middle of the page (the same code images.ts draws), so the model stub can read which
 * page a rendered image came from; optional lines of text make rendering cost what a real page costs.
 */
import * as mupdf from 'mupdf';

const A4: [number, number, number, number] = [0, 0, 595, 842];

export interface PdfOptions {
  /** Lines of text per page (0 = bars only). */
  textLines?: number;
  /** mupdf save options, e.g. "encrypt=aes-256,user-password=u,owner-password=o". */
  save?: string;
}

function pageContent(tag: number, textLines: number): string {
  let content = '';
  if (textLines > 0) {
    content += 'BT /F1 10 Tf 56 800 Td 13 TL\n';
    for (let i = 0; i < textLines; i++) {
      if (i === 28) content += '0 -120 Td\n'; // skip over the bar strip
      content += `(Page ${tag}, line ${i + 1}: The quick brown fox jumps over the lazy dog; E = mc2, a2 + b2 = c2.) '\n`;
    }
    content += 'ET\n';
  }
  // The strip spans y 380..460, around the vertical middle (421) where the stub samples.
  for (let bar = 0; bar < 16; bar++) {
    if ((tag >> bar) & 1) content += `${(bar * 595) / 16} 380 ${595 / 16} 80 re f\n`;
  }
  return content;
}

/** A PDF with one page per tag, in order. */
export function makePdf(tags: number[], opts: PdfOptions = {}): Buffer {
  const doc = new mupdf.PDFDocument();
  try {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
    for (const tag of tags) {
      const resources = doc.addObject({ Font: { F1: font } });
      doc.insertPage(-1, doc.addPage(A4, 0, resources, pageContent(tag, opts.textLines ?? 0)));
    }
    return Buffer.from(doc.saveToBuffer(opts.save ?? 'compress').asUint8Array());
  } finally {
    doc.destroy();
  }
}

/** Tags 1..n. */
export const pageTags = (n: number, first = 1) => Array.from({ length: n }, (_, i) => first + i);
