/**
 * A task's searchable PDF (GET /api/tasks/{id}/export?format=pdf), made in a render thread:
 * the original document's pages, each with its recognised text as an invisible layer
 * (text-layer.ts); an image task's frames, each a page of its picture.
 *
 * A PDF is not rewritten: the layers are added as an incremental update, appended to the
 * original's bytes, which stay as they were (signatures, forms, fonts, images untouched; a 200 MB
 * scan is copied, never re-encoded). Each page's layer is a form XObject drawn after the page's own
 * content, which is wrapped in q…Q so whatever state it leaves cannot move the layer.
 */
import { appendFileSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { openPdf } from '../pdf/document.js';
import { convertImageToPng, imageOf } from '../pdf/images.js';
import { imageSource, uprightNeeds, uprightPipeline, type Source } from '../images/upright.js';
import { markdownToPlainText } from './plain-text.js';
import { TextLayerWriter, type LayerPage } from './text-layer.js';

/** The text of a page that has any (the task's completed pages). */
export interface PageText { pageNumber: number; markdown: string }

export interface SearchablePdfRequest { path: string; mimeType: string; pages: PageText[]; outPath: string }

/** A page's size as displayed (rotation applied), in points for a PDF and in pixels for an image. */
export interface PageDimensions { width: number; height: number }

/** The layer's name in each page's resources. */
const LAYER_NAME = 'OcrTextLayer';

// One writer per thread: its fonts are loaded once.
let layerWriter: TextLayerWriter | undefined;
const writer = () => (layerWriter ??= new TextLayerWriter());

const textsByPage = (pages: PageText[]) => new Map(pages.map((p) => [p.pageNumber, markdownToPlainText(p.markdown)]));

/** Writes the searchable PDF to `outPath`; resolves to its size in bytes. */
export async function writeSearchablePdf(request: SearchablePdfRequest): Promise<number> {
  if (request.mimeType === 'application/pdf') writePdfWithLayers(request);
  else writeFileSync(request.outPath, await imagesAsPdf(request));
  return statSync(request.outPath).size;
}

/** Each page of the original as displayed: its crop box, turned by its rotation. */
function displayedSize(page: mupdf.Page): PageDimensions {
  const [x0, y0, x1, y1] = page.getBounds();
  return { width: x1 - x0, height: y1 - y0 };
}

function writePdfWithLayers({ path, pages, outPath }: SearchablePdfRequest): void {
  const doc = openPdf(path).asPDF()!;
  try {
    const texts = textsByPage(pages);
    const numbers = [...texts.keys()].filter((n) => n <= doc.countPages() && texts.get(n)!.trim() !== '');
    const layer = writer().write(numbers.map((n) => withPage(doc, n, (page) => ({ ...displayedSize(page), text: texts.get(n) }))));
    // One graft map for every page: the font the layers share is copied once.
    const graft = doc.newGraftMap();
    numbers.forEach((n, i) => withPage(doc, n, (page) => addLayer(doc, page, layer, i, graft)));
    graft.destroy();
    layer.destroy();
    // A repaired file has no trustworthy byte offsets to append to: it is written anew instead.
    if (!doc.wasRepaired() && doc.canBeSavedIncrementally()) {
      const size = statSync(path).size;
      const saved = doc.saveToBuffer('incremental,compress');
      const update = saved.asUint8Array().subarray(size);
      copyFileSync(path, outPath);
      appendFileSync(outPath, update);
      saved.destroy();
    } else {
      const saved = doc.saveToBuffer('compress');
      writeFileSync(outPath, saved.asUint8Array());
      saved.destroy();
    }
  } finally {
    doc.destroy();
  }
}

/** Runs `use` on page `pageNumber` and lets the page go (a 500-page document's pages are not kept). */
function withPage<T>(doc: mupdf.PDFDocument, pageNumber: number, use: (page: mupdf.PDFPage) => T): T {
  const page = doc.loadPage(pageNumber - 1);
  try {
    return use(page);
  } finally {
    page.destroy();
  }
}

/**
 * A stream's decoded bytes, copied out of mupdf's WebAssembly memory: the Buffer mupdf.js returns is
 * released at once (else it stays there until collected), and a view into that memory would be left
 * empty if the memory grew before it was read.
 */
function streamBytes(stream: mupdf.PDFObject): Uint8Array {
  const buffer = stream.readStream();
  try {
    return buffer.asUint8Array().slice();
  } finally {
    buffer.destroy();
  }
}

/** Every content stream of a page as one buffer. */
function pageContents(page: mupdf.PDFObject): Uint8Array {
  const contents = page.get('Contents');
  if (!contents.isArray()) return streamBytes(contents);
  const parts: Uint8Array[] = [];
  contents.forEach((part) => parts.push(streamBytes(part)));
  return Buffer.concat(parts);
}

/**
 * Puts page `index` of `layer` over `page` as a form XObject: layer space (points, origin bottom
 * left of the page as displayed) goes to display space and from there through the inverse of the
 * page's own transform (crop box origin, rotation) to the page's space.
 */
function addLayer(doc: mupdf.PDFDocument, page: mupdf.PDFPage, layer: mupdf.PDFDocument, index: number, graft: mupdf.PDFGraftMap): void {
  const layerPage = layer.findPage(index);
  const { width, height } = displayedSize(page);
  const [x0, y0] = page.getBounds();
  const layerToPage = mupdf.Matrix.concat([1, 0, 0, -1, x0, y0 + height], mupdf.Matrix.invert(page.getTransform()));
  const form = doc.addStream(pageContents(layerPage), {
    Type: 'XObject', Subtype: 'Form', BBox: [0, 0, width, height], Matrix: layerToPage, Resources: graft.graftObject(layerPage.get('Resources')),
  });

  // The page gets resources of its own (they may be shared with other pages, or inherited).
  const pageObject = page.getObject();
  const resources = doc.newDictionary();
  const inherited = pageObject.getInheritable('Resources');
  if (inherited.isDictionary()) inherited.forEach((value, key) => { resources.put(key, value); });
  const xobjects = doc.newDictionary();
  const ownXObjects = resources.get('XObject');
  if (ownXObjects.isDictionary()) ownXObjects.forEach((value, key) => { xobjects.put(key, value); });
  xobjects.put(LAYER_NAME, form);
  resources.put('XObject', xobjects);
  pageObject.put('Resources', resources);

  const contents = doc.newArray();
  contents.push(doc.addStream('q\n', {}));
  const own = pageObject.get('Contents');
  if (own.isArray()) own.forEach((part) => { contents.push(part); });
  else if (!own.isNull()) contents.push(own);
  contents.push(doc.addStream(`\nQ q /${LAYER_NAME} Do Q\n`, {}));
  pageObject.put('Contents', contents);
}

/** The frames of an image task (a TIFF's pages; any other image is one), upright. */
async function frameSources(path: string, mimeType: string): Promise<Source[]> {
  const first = imageSource(path, mimeType, 1);
  // Formats libvips does not read (BMP…) are converted by mupdf, as for the model.
  if (!first) return [{ input: convertImageToPng(readFileSync(path)), page: 0 }];
  const frames = mimeType === 'image/tiff' ? ((await sharp(path).metadata()).pages ?? 1) : 1;
  return Array.from({ length: frames }, (_, i) => imageSource(path, mimeType, i + 1)!);
}

/** Below or above these, an image's stated resolution is a mistake: it is taken as 96 DPI. */
const DPI_RANGE = { min: 50, max: 2400, fallback: 96 };

/**
 * A frame as a PDF image: a JPEG that needs no turning goes in as it is (no loss, no re-encoding);
 * anything else is turned upright and flattened as the model saw it, as JPEG when it was a JPEG
 * and as lossless PNG otherwise.
 */
async function frameImage(source: Source, mimeType: string): Promise<{ image: mupdf.Image; width: number; height: number; dpi: number }> {
  const needs = await uprightNeeds(source);
  const { density } = await sharp(source.input, { page: source.page }).metadata();
  const dpi = density && density >= DPI_RANGE.min && density <= DPI_RANGE.max ? density : DPI_RANGE.fallback;
  let bytes: Buffer;
  if (mimeType === 'image/jpeg' && needs.orientation === 1) bytes = typeof source.input === 'string' ? readFileSync(source.input) : source.input;
  else {
    const upright = uprightPipeline(source, needs.background);
    bytes = await (mimeType === 'image/jpeg' ? upright.jpeg({ quality: 92 }) : upright.png()).toBuffer();
  }
  const image = imageOf(bytes);
  return { image, width: image.getWidth(), height: image.getHeight(), dpi };
}

async function imagesAsPdf({ path, mimeType, pages }: SearchablePdfRequest): Promise<Uint8Array> {
  const texts = textsByPage(pages);
  const layerPages: LayerPage[] = [];
  const sources = await frameSources(path, mimeType);
  for (const [i, source] of sources.entries()) {
    const { image, width, height, dpi } = await frameImage(source, mimeType);
    layerPages.push({ width: (width * 72) / dpi, height: (height * 72) / dpi, text: texts.get(i + 1), background: image });
  }
  const doc = writer().write(layerPages);
  try {
    return doc.saveToBuffer('compress,garbage').asUint8Array().slice();
  } finally {
    doc.destroy();
    for (const page of layerPages) page.background?.destroy();
  }
}

/** Each page's size as displayed: a PDF's in points, an image's frames in pixels (upright). */
export async function pageDimensions({ path, mimeType }: { path: string; mimeType: string }): Promise<PageDimensions[]> {
  if (mimeType === 'application/pdf') {
    const doc = openPdf(path).asPDF()!;
    try {
      return Array.from({ length: doc.countPages() }, (_, i) => withPage(doc, i + 1, displayedSize));
    } finally {
      doc.destroy();
    }
  }
  const dimensions: PageDimensions[] = [];
  for (const source of await frameSources(path, mimeType)) {
    const { orientation = 1, width, height } = await sharp(source.input, { page: source.page }).metadata();
    // Orientations 5–8 turn the image a quarter: its sides swap.
    dimensions.push(orientation >= 5 ? { width: height, height: width } : { width, height });
  }
  return dimensions;
}
