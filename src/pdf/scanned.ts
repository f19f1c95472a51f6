/**
 * Scanned pages, read from their JPEG. A scanner, a phone app or a copier writes each page as one
 * JPEG drawn over the whole page (with at most an invisible OCR text layer over it). mupdf would
 * decode that JPEG in WebAssembly, keep it in its store and resample it; libvips decodes it natively
 * and resamples it in a third of the time, and mupdf's store stays empty (a 300 DPI grey A4 scan:
 * 150 ms in mupdf against 50 ms, bench/pdf.ts scan-heavy). Anything else on the page (a drawing, a
 * visible word, a mask, a second image, an unusual colour space) leaves the page to mupdf, whose
 * rendering is the reference: test/unit/scanned.test.ts checks both give the same pixels.
 */
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { isBlankPage } from './blank.js';
import { colourProbeSize, pageScale, pixelSize, probeShowsColour, type PageSize, type PixelBuffer, type RenderedPage } from './document.js';

/** A page that is one JPEG: its bytes and the quarter turns that make it upright on the page. */
interface PageJpeg { jpeg: Uint8Array; angle: 0 | 90 | 180 | 270; components: 1 | 3; width: number; height: number }

/** How far (in points) the image's edges may miss the page's: a scanner's rounding, not a margin. */
const EDGE_TOLERANCE_PT = 2;

/**
 * The quarter turn that draws the image upright as `ctm` places it (mupdf's image space: u across
 * the columns, v down the rows, device y down), or undefined for a skew or a mirror.
 */
function quarterTurn([a, b, c, d]: mupdf.Matrix): PageJpeg['angle'] | undefined {
  if (b === 0 && c === 0) return a > 0 && d > 0 ? 0 : a < 0 && d < 0 ? 180 : undefined;
  if (a === 0 && d === 0) return b > 0 && c < 0 ? 90 : b < 0 && c > 0 ? 270 : undefined;
  return undefined;
}

/**
 * Most objects mupdf hands a device's callback (an image, a path, a text, a colour space, a stroke
 * state) are wrappers holding a reference of their own to mupdf's object, released by destroy() or
 * else only when the wrapper is collected: a scan's image kept its 3 MB JPEG, and a text page its
 * every span, in the thread's WebAssembly memory (which never shrinks) until then. A shading's
 * wrapper takes no reference of its own (mupdf.js 1.28), so it is left alone.
 */
const OWNING_WRAPPERS = [mupdf.Image, mupdf.Path, mupdf.Text, mupdf.ColorSpace, mupdf.StrokeState];
const release = (args: unknown[]) => {
  for (const arg of args) if (OWNING_WRAPPERS.some((type) => arg instanceof type)) (arg as mupdf.Image).destroy();
};

/** What a page draws, when it draws exactly one image and no visible text, path or shading (the caller destroys the image). */
function onlyImage(page: mupdf.Page): { image: mupdf.Image; ctm: mupdf.Matrix } | undefined {
  let drawn: { image: mupdf.Image; ctm: mupdf.Matrix } | undefined;
  let other = false;
  const mark = (...args: unknown[]) => {
    other = true;
    release(args);
  };
  const device = new mupdf.Device({
    fillImage(image, ctm, alpha) {
      if (drawn || alpha !== 1) mark(image);
      else drawn = { image, ctm };
    },
    // An OCR layer (text render mode 3) reaches the device as ignoreText: it shows nothing.
    fillPath: mark, strokePath: mark, clipPath: mark, clipStrokePath: mark,
    fillText: mark, strokeText: mark, clipText: mark, clipStrokeText: mark,
    fillShade: mark, fillImageMask: mark, clipImageMask: mark, beginMask: mark, beginGroup: mark, beginTile: () => (mark(), 0),
  });
  try {
    page.run(device, mupdf.Matrix.identity);
    device.close();
  } finally {
    device.destroy();
  }
  if (!other) return drawn;
  drawn?.image.destroy();
  return undefined;
}

const names = (value: mupdf.PDFObject): string[] => {
  if (value.isName()) return [value.asName()];
  const list: string[] = [];
  if (value.isArray()) value.forEach((item) => { list.push(item.isName() ? item.asName() : '?'); });
  return list;
};

/** The number of colour components of a colour space libvips reads as JPEG does: grey or RGB. */
function plainComponents(space: mupdf.PDFObject): number | undefined {
  const resolved = space.resolve();
  if (resolved.isName()) return ({ DeviceGray: 1, DeviceRGB: 3 } as Record<string, number>)[resolved.asName()];
  if (resolved.isArray() && resolved.get(0).isName() && resolved.get(0).asName() === 'ICCBased') {
    const n = resolved.get(1).resolve().get('N');
    return n.isNumber() ? n.asNumber() : undefined;
  }
  return undefined;
}

/** The page's one image XObject of this size, when it is a plain JPEG (DCTDecode alone, grey or RGB, no mask or Decode array). */
function jpegStream(page: mupdf.PDFPage, width: number, height: number, components: number, buffer: PixelBuffer): Uint8Array | undefined {
  const xobjects = page.getObject().getInheritable('Resources').get('XObject').resolve();
  if (!xobjects.isDictionary()) return undefined;
  const matches: mupdf.PDFObject[] = [];
  // Streams are known by their indirect reference (a resolved stream's dictionary is not one).
  xobjects.forEach((stream) => {
    if (stream.isStream() && stream.get('Subtype').isName() && stream.get('Subtype').asName() === 'Image'
      && stream.get('Width').asNumber() === width && stream.get('Height').asNumber() === height) matches.push(stream);
  });
  if (matches.length !== 1) return undefined;
  const [stream] = matches as [mupdf.PDFObject];
  const plain = names(stream.get('Filter').resolve()).join() === 'DCTDecode'
    && stream.get('BitsPerComponent').asNumber() === 8
    && plainComponents(stream.get('ColorSpace')) === components
    && ['Decode', 'DecodeParms', 'SMask', 'Mask', 'ImageMask'].every((key) => stream.get(key).isNull());
  if (!plain) return undefined;
  // Copied out of mupdf's memory (freed with the mupdf buffer), for libvips to read meanwhile.
  const raw = stream.readRawStream();
  try {
    const view = raw.asUint8Array();
    const bytes = buffer(view.length);
    bytes.set(view);
    return bytes;
  } finally {
    raw.destroy();
  }
}

/**
 * The page's JPEG, when the page is a scan: one upright or quarter-turned JPEG covering it. Its
 * bytes are copied where `buffer` says (by default a new array).
 */
export function pageJpeg(page: mupdf.Page, buffer: PixelBuffer = (n) => new Uint8Array(n)): PageJpeg | undefined {
  if (!(page instanceof mupdf.PDFPage)) return undefined;
  const drawn = onlyImage(page);
  if (!drawn) return undefined;
  const { image, ctm } = drawn;
  try {
    const angle = quarterTurn(ctm);
    const components = image.getNumberOfComponents();
    if (angle === undefined || (components !== 1 && components !== 3) || image.getBitsPerComponent() !== 8) return undefined;
    const [x0, y0, x1, y1] = mupdf.Rect.transform([0, 0, 1, 1], ctm);
    const [px0, py0, px1, py1] = page.getBounds();
    const covers = [x0 - px0, y0 - py0, x1 - px1, y1 - py1].every((d) => Math.abs(d) <= EDGE_TOLERANCE_PT);
    if (!covers) return undefined;
    const jpeg = jpegStream(page, image.getWidth(), image.getHeight(), components, buffer);
    return jpeg && { jpeg, angle, components, width: image.getWidth(), height: image.getHeight() };
  } finally {
    image.destroy();
  }
}

/**
 * The page rendered from its JPEG by libvips, as renderPage renders it (the same size, grey unless
 * it shows colour, the same blank check); undefined when the JPEG is not what the PDF says it is.
 */
export async function renderScan(page: mupdf.Page, scan: PageJpeg, size: PageSize): Promise<RenderedPage | undefined> {
  const meta = await sharp(scan.jpeg).metadata();
  if (meta.format !== 'jpeg' || meta.width !== scan.width || meta.height !== scan.height || meta.channels !== scan.components) return undefined;
  const { scale, downscaled } = pageScale(page, size);
  const { width, height } = pixelSize(page, scale);
  let colour = false;
  if (scan.components === 3) {
    // The probe mupdf's rendering decides by, made by libvips (which decodes a JPEG at an eighth for it).
    const probe = colourProbeSize(width / scale, height / scale);
    const { data, info } = await sharp(scan.jpeg).rotate(scan.angle).resize(probe.width, probe.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    colour = probeShowsColour(data, info.channels);
  }
  // Mitchell's filter resamples closest to mupdf (a mean difference of 0.4 grey levels on a 300 DPI
  // scan drawn at 200 DPI, against 1.3 for libvips's default Lanczos, whose sharper noise also makes
  // the JPEG 8 % larger).
  const pipeline = sharp(scan.jpeg).rotate(scan.angle).resize(width, height, { fit: 'fill', kernel: 'mitchell' }).toColourspace(colour ? 'srgb' : 'b-w');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels as 1 | 3;
  return { pixels: data, width, height, channels, blank: isBlankPage(data, width, height, channels), downscaled };
}
