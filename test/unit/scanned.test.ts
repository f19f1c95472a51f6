/**
 * Scanned pages read from their JPEG (src/pdf/scanned.ts) come out as mupdf renders them: the same
 * size, turn, colour and blankness, and nearly the same pixels; every other page is left to mupdf.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { renderLoadedPage, type RenderedPage } from '../../src/pdf/document.js';
import { pageJpeg, renderScan } from '../../src/pdf/scanned.js';
import { makePdf } from '../helpers/pdfs.js';

const SIZE = { dpi: 200, maxSide: 2560 };

/** A page of text rendered at 150 DPI, as a scanner would see it: `colour` puts a red heading on it. */
async function scannedImage({ colour = false, blank = false, landscape = false } = {}): Promise<{ jpeg: Buffer; png: Buffer }> {
  const width = landscape ? 842 : 595;
  const height = landscape ? 595 : 842;
  const doc = new mupdf.PDFDocument();
  try {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
    let content = blank ? '' : 'BT /F1 11 Tf 50 ' + (height - 60) + ' Td 14 TL\n' + Array.from({ length: 20 }, (_, i) => `(Line ${i + 1} of a scanned page, the top of which must stay on top.) '`).join('\n') + '\nET\n';
    if (colour) content += `1 0 0 rg BT /F1 24 Tf 50 ${height - 40} Td (A red heading) Tj ET\n`;
    doc.insertPage(-1, doc.addPage([0, 0, width, height], 0, doc.addObject({ Font: { F1: font } }), content));
    const page = doc.loadPage(0);
    const pixmap = page.toPixmap(mupdf.Matrix.scale(150 / 72, 150 / 72), colour ? mupdf.ColorSpace.DeviceRGB : mupdf.ColorSpace.DeviceGray, false, true);
    const raw = { raw: { width: pixmap.getWidth(), height: pixmap.getHeight(), channels: pixmap.getNumberOfComponents() as 1 | 3 } };
    const pixels = Buffer.from(pixmap.getPixels());
    pixmap.destroy();
    page.destroy();
    // Grey content stored as RGB (as many scanners do) unless it is grey: the colour is decided from the pixels.
    const jpeg = await sharp(pixels, raw).toColourspace(colour ? 'srgb' : 'b-w').jpeg({ quality: 92 }).toBuffer();
    const png = await sharp(pixels, raw).toColourspace(colour ? 'srgb' : 'b-w').png().toBuffer();
    return { jpeg, png };
  } finally {
    doc.destroy();
  }
}

interface ScanPage { image: Buffer; rotate?: 0 | 90 | 180 | 270; cm?: string; extra?: string; secondImage?: Buffer; landscape?: boolean }

/** A one-page PDF drawing `image` as `cm` says (by default over the whole A4 page), then `extra`. */
function scanPdf({ image, rotate = 0, cm, extra = '', secondImage, landscape = false }: ScanPage): mupdf.Document {
  const doc = new mupdf.PDFDocument();
  const [w, h] = landscape ? [842, 595] : [595, 842];
  const xobjects: Record<string, mupdf.PDFObject> = { Im0: doc.addImage(new mupdf.Image(image)) };
  if (secondImage) xobjects.Im1 = doc.addImage(new mupdf.Image(secondImage));
  const resources = doc.addObject({ XObject: xobjects, Font: { F1: doc.addSimpleFont(new mupdf.Font('Helvetica')) } });
  let content = `q ${cm ?? `${w} 0 0 ${h} 0 0`} cm /Im0 Do Q\n`;
  if (secondImage) content += 'q 100 0 0 100 10 10 cm /Im1 Do Q\n';
  doc.insertPage(-1, doc.addPage([0, 0, w, h], rotate, resources, content + extra));
  return mupdf.Document.openDocument(doc.saveToBuffer('compress'), 'application/pdf');
}

async function bothRenderings(doc: mupdf.Document): Promise<{ fast: RenderedPage | undefined; reference: RenderedPage }> {
  const page = doc.loadPage(0);
  try {
    const scan = pageJpeg(page);
    return { fast: scan && (await renderScan(page, scan, SIZE)), reference: renderLoadedPage(page, SIZE) };
  } finally {
    page.destroy();
  }
}

const meanDifference = (a: Uint8Array, b: Uint8Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
};

function assertSame(fast: RenderedPage | undefined, reference: RenderedPage, what: string) {
  assert.ok(fast, `${what}: read from its JPEG`);
  const shape = (p: RenderedPage) => [p.width, p.height, p.channels, p.blank, p.downscaled];
  assert.deepEqual(shape(fast), shape(reference), what);
  // The two resample a 150 DPI scan to 200 DPI a little differently (2.3 grey levels on average);
  // the same page turned upside down differs by 13.
  const difference = meanDifference(fast.pixels, reference.pixels);
  assert.ok(difference < 5, `${what}: mean difference ${difference.toFixed(2)} grey levels`);
}

test('a scan turned by /Rotate, by its placement or not at all is read from its JPEG, as mupdf draws it', async () => {
  const { jpeg } = await scannedImage();
  for (const rotate of [0, 90, 180, 270] as const) {
    const { fast, reference } = await bothRenderings(scanPdf({ image: jpeg, rotate }));
    assertSame(fast, reference, `/Rotate ${rotate}`);
  }
  // A landscape scan placed on a portrait page a quarter turn round, as some scanners store it.
  const { jpeg: landscape } = await scannedImage({ landscape: true });
  for (const cm of ['0 842 -595 0 595 0', '0 -842 595 0 0 842']) {
    const { fast, reference } = await bothRenderings(scanPdf({ image: landscape, cm }));
    assertSame(fast, reference, `placed with cm ${cm}`);
  }
});

test('colour, grey stored as RGB, an invisible OCR layer and a blank scan come out as mupdf draws them', async () => {
  const colour = await bothRenderings(scanPdf({ image: (await scannedImage({ colour: true })).jpeg }));
  assertSame(colour.fast, colour.reference, 'a red heading');
  assert.equal(colour.fast!.channels, 3);

  const { png } = await scannedImage();
  const greyAsRgb = await sharp(png).toColourspace('srgb').jpeg({ quality: 92 }).toBuffer();
  assert.equal((await sharp(greyAsRgb).metadata()).channels, 3);
  const grey = await bothRenderings(scanPdf({ image: greyAsRgb }));
  assertSame(grey.fast, grey.reference, 'grey stored as RGB');
  assert.equal(grey.fast!.channels, 1);

  const { jpeg } = await scannedImage();
  const ocrLayer = await bothRenderings(scanPdf({ image: jpeg, extra: 'BT 3 Tr /F1 10 Tf 50 800 Td (the words an OCR tool found) Tj ET\n' }));
  assertSame(ocrLayer.fast, ocrLayer.reference, 'with an invisible text layer');

  const blank = await bothRenderings(scanPdf({ image: (await scannedImage({ blank: true })).jpeg }));
  assertSame(blank.fast, blank.reference, 'a blank scan');
  assert.equal(blank.fast!.blank, true);
});

test('pages that are not one plain JPEG over the whole page are left to mupdf', async () => {
  const { jpeg, png } = await scannedImage();
  const cases: [string, mupdf.Document][] = [
    ['a page of text', mupdf.Document.openDocument(makePdf([5], { textLines: 10 }), 'application/pdf')],
    ['a scan with visible text added', scanPdf({ image: jpeg, extra: 'BT /F1 10 Tf 50 20 Td (Stamped: received) Tj ET\n' })],
    ['a scan with a drawing added', scanPdf({ image: jpeg, extra: '0 0 1 RG 4 w 50 50 m 500 50 l S\n' })],
    ['a scan with margins', scanPdf({ image: jpeg, cm: '500 0 0 742 47 50' })],
    ['a mirrored scan', scanPdf({ image: jpeg, cm: '595 0 0 -842 0 842' })],
    ['a scan stored losslessly', scanPdf({ image: png })],
    ['two images', scanPdf({ image: jpeg, secondImage: jpeg })],
  ];
  for (const [what, doc] of cases) {
    const page = doc.loadPage(0);
    try {
      assert.equal(pageJpeg(page), undefined, what);
    } finally {
      page.destroy();
      doc.destroy();
    }
  }
});
