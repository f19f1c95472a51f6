/**
 * IMAGE_FORMAT auto (src/images/encode.ts) judges PNG against JPEG from a band of the page: on a page
 * of text, a scan and a page half text, half photo, it sends what the smaller whole encoding is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mupdf from 'mupdf';
import { encodePixels, type RawImage } from '../../src/images/encode.js';
import { renderPage } from '../../src/pdf/document.js';
import { makePdf, makeScanPdf } from '../helpers/pdfs.js';

function firstPage(pdf: Buffer): RawImage {
  const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
  try {
    return renderPage(doc, 1, { dpi: 200, maxSide: 2560 });
  } finally {
    doc.destroy();
  }
}

/** The text page's top half over the scan's bottom half: the band across the middle sees both. */
function halfAndHalf(top: RawImage, bottom: RawImage): RawImage {
  const pixels = new Uint8Array(top.pixels.length);
  const half = Math.floor(top.height / 2) * top.width * top.channels;
  pixels.set(top.pixels.subarray(0, half));
  pixels.set(bottom.pixels.subarray(half), half);
  return { ...top, pixels };
}

test('auto sends the smaller of the whole page as PNG and as JPEG', async () => {
  const text = firstPage(makePdf([7], { textLines: 40 }));
  const scan = firstPage(await makeScanPdf([7], { dpi: 200 }));
  const pages: [string, RawImage, string][] = [['text', text, 'image/png'], ['scan', scan, 'image/jpeg'], ['half text, half scan', halfAndHalf(text, scan), 'image/jpeg']];
  for (const [what, image, expected] of pages) {
    const encoding = { quality: 85 };
    const [auto, png, jpeg] = await Promise.all([
      encodePixels(image, { ...encoding, format: 'auto' }),
      encodePixels(image, { ...encoding, format: 'png' }),
      encodePixels(image, { ...encoding, format: 'jpeg' }),
    ]);
    const smaller = png.data.length <= jpeg.data.length ? png : jpeg;
    assert.equal(smaller.mimeType, expected, `${what}: PNG ${png.data.length} bytes, JPEG ${jpeg.data.length}`);
    assert.equal(auto.mimeType, smaller.mimeType, what);
    assert.ok(auto.data.equals(smaller.data), `${what}: the same bytes as the ${smaller.mimeType} of the whole page`);
  }
});
