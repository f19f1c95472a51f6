/**
 * Whether a rendered page is blank: nothing on it worth a model call. Judged on the pixels the page
 * is rendered to anyway (no second rendering), so it costs one pass over them in the render thread.
 *
 * The page's background is its most common grey level (white paper, the grey of a scan, the dark of
 * a slide). A pixel is ink when it is INK_CONTRAST darker or lighter than that: the speckle of a
 * scanned blank page and JPEG noise stay well within it, while even light-grey text on white (or
 * white text on a dark slide) is far from it. A page is blank when ink covers
 * less than MAX_INK_FRACTION of its body — the page without its top and bottom MARGIN_FRACTION,
 * where running headers, footers and page numbers stand: a page that has nothing else is blank.
 * Measured at 200 DPI on the test pages (test/unit/blank.test.ts): a white page and one with only a
 * light footer have no ink in the body, a grey scan with speckle and dust specks at most 0.0005 %;
 * one short line of faint text ("Note: see page 4.", 10 pt, 60 % grey) 0.030 %, a one-line heading
 * 0.087 % — the threshold sits between, ten times above the dust and six times below the faint line.
 */

/** How far from the background a pixel's grey level must be to count as ink (0–255). */
const INK_CONTRAST = 64;
/** Top and bottom bands left out: headers, footers, page numbers. */
const MARGIN_FRACTION = 0.08;
/** Ink below this share of the body's pixels (5 in 100,000) is dust, not text. */
const MAX_INK_FRACTION = 0.00005;

/**
 * Pixels looked at per row and column: about 400 across the page (every 4th pixel of every 4th row
 * at 200 DPI, each one below 72 DPI). A line of text spans dozens of such samples, so its share of
 * ink comes out as it is (0.030 % for the faint line above, 0.033 % counted pixel by pixel), at a
 * sixteenth of the work: counting every pixel cost 13 % of the render thread's time at 200 DPI.
 */
const SAMPLES_ACROSS = 400;

/**
 * The share of the page's body that is ink. `pixels`: the rendered page, `components` bytes per
 * pixel (1 grey, 3 RGB, 4 with alpha: grey level from the first three), rows top to bottom.
 */
export function inkFraction(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, components: number): number {
  const histogram = new Uint32Array(256);
  const top = Math.floor(height * MARGIN_FRACTION);
  const bottom = height - top;
  const step = Math.max(1, Math.floor(width / SAMPLES_ACROSS));
  const stride = step * components;
  let sampled = 0;
  for (let y = top; y < bottom; y += step) {
    const end = (y + 1) * width * components;
    if (components >= 3) {
      for (let i = y * width * components; i < end; i += stride) histogram[(pixels[i]! * 77 + pixels[i + 1]! * 150 + pixels[i + 2]! * 29) >> 8]!++;
    } else {
      for (let i = y * width * components; i < end; i += stride) histogram[pixels[i]!]!++;
    }
  }
  let background = 255;
  for (let level = 0; level < 256; level++) {
    sampled += histogram[level]!;
    if (histogram[level]! > histogram[background]!) background = level;
  }
  let ink = 0;
  for (let level = 0; level < 256; level++) if (Math.abs(level - background) > INK_CONTRAST) ink += histogram[level]!;
  return sampled > 0 ? ink / sampled : 0;
}

export function isBlankPage(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, components: number): boolean {
  return inkFraction(pixels, width, height, components) < MAX_INK_FRACTION;
}
