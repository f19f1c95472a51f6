/**
 * The invisible text of a searchable PDF: each page's recognised text, laid out line by line over
 * the page area in reading order and written by mupdf's PDF writer as text that is never painted
 * (render mode 3), in a font that has glyphs for Latin, Greek, Cyrillic and CJK (mupdf's built-in
 * Droid Sans Fallback), embedded and cut down to the glyphs used so readers can extract every word.
 *
 * A vision model says what a page reads, not where each word is: positions are approximate (lines
 * in order from the top, wrapped to the page's width), which is enough for search, copy and
 * find-on-page, not for highlighting the exact word on a scan.
 */
import * as mupdf from 'mupdf';

/** A page of the layer: its size as displayed, in points, and what it reads (none: no text). */
export interface LayerPage {
  width: number;
  height: number;
  text?: string;
  /** Drawn under the text (an image task's picture); a PDF's own pages are kept as they are instead. */
  background?: mupdf.Image;
}

/** Fonts tried in turn for each character: the first with a glyph for it writes it. */
const FONT_NAMES = ['zh-Hans', 'Times-Roman', 'Symbol'] as const;

/** Body text size, and the smallest a page full of text is shrunk to before lines are squeezed together. */
const MAX_FONT_SIZE = 11;
const MIN_FONT_SIZE = 4;
const LINE_SPACING = 1.25;
/** The share of each side left as margin. */
const MARGIN = 0.06;

interface Run { font: mupdf.Font; text: string }

export class TextLayerWriter {
  private readonly fonts = FONT_NAMES.map((name) => new mupdf.Font(name));
  private readonly advances = new Map<string, number>();

  /** The font for a character: the first that has it, else the first (its reader shows a gap, the text is still there). */
  private fontFor(char: string): mupdf.Font {
    const code = char.codePointAt(0)!;
    return this.fonts.find((font) => font.encodeCharacter(code) !== 0) ?? this.fonts[0]!;
  }

  /** Width of a character at size 1. */
  private advance(char: string): number {
    let width = this.advances.get(char);
    if (width === undefined) {
      const font = this.fontFor(char);
      width = font.advanceGlyph(font.encodeCharacter(char.codePointAt(0)!));
      this.advances.set(char, width);
    }
    return width;
  }

  private measure(text: string): number {
    let width = 0;
    for (const char of text) width += this.advance(char);
    return width;
  }

  /** A line in runs of one font each. */
  private runs(line: string): Run[] {
    const runs: Run[] = [];
    for (const char of line) {
      const font = this.fontFor(char);
      const last = runs.at(-1);
      if (last?.font === font) last.text += char;
      else runs.push({ font, text: char });
    }
    return runs;
  }

  /** Every line of `text` broken to fit `width` (at size 1): at spaces, between CJK characters, or anywhere in a word too long for a line. */
  private wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    let line = '';
    let lineWidth = 0;
    const flush = () => {
      lines.push(line.trimEnd());
      line = '';
      lineWidth = 0;
    };
    for (const paragraph of text.split('\n')) {
      for (const piece of paragraph.match(BREAKABLE) ?? []) {
        const pieceWidth = this.measure(piece);
        if (lineWidth + pieceWidth <= width) {
          line += piece;
          lineWidth += pieceWidth;
          continue;
        }
        // A space where the line is full is where it breaks.
        if (/^\s/.test(piece)) {
          flush();
          continue;
        }
        if (line.trim() !== '') flush();
        if (pieceWidth <= width) {
          line = piece;
          lineWidth = pieceWidth;
          continue;
        }
        // A word wider than a line is cut where it overflows.
        for (const char of piece) {
          const charWidth = this.advance(char);
          if (lineWidth + charWidth > width && line !== '') flush();
          line += char;
          lineWidth += charWidth;
        }
      }
      flush();
    }
    while (lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** Lines and the size that fit them on the page: the largest up to body size, then lines closer together. */
  private layout(text: string, areaWidth: number, areaHeight: number): { lines: string[]; size: number; lineHeight: number } {
    for (let size = MAX_FONT_SIZE; ; size = Math.max(MIN_FONT_SIZE, size * 0.85)) {
      const lines = this.wrap(text, areaWidth / size);
      const lineHeight = size * LINE_SPACING;
      if (lines.length * lineHeight <= areaHeight) return { lines, size, lineHeight };
      if (size === MIN_FONT_SIZE) {
        const squeezed = areaHeight / lines.length;
        return { lines, size: Math.min(size, squeezed), lineHeight: squeezed };
      }
    }
  }

  /** The page's text as invisible lines, top to bottom, in display space (origin top left). */
  private pageText({ width, height, text }: LayerPage): mupdf.Text | undefined {
    if (!text?.trim()) return undefined;
    const left = width * MARGIN;
    const top = height * MARGIN;
    const { lines, size, lineHeight } = this.layout(text, width - 2 * left, height - 2 * top);
    const out = new mupdf.Text();
    lines.forEach((line, i) => {
      // Display space runs downwards: the glyphs' own y axis is flipped to stand upright.
      let matrix: mupdf.Matrix = [size, 0, 0, -size, left, top + i * lineHeight + size];
      for (const run of this.runs(line)) matrix = out.showString(run.font, matrix, run.text);
    });
    return out;
  }

  /** A PDF of these pages, each its size, with its background and its invisible text; fonts cut down to what is used. */
  write(pages: LayerPage[]): mupdf.PDFDocument {
    const buffer = new mupdf.Buffer();
    const writer = new mupdf.DocumentWriter(buffer, 'pdf', 'compress');
    for (const page of pages) {
      const device = writer.beginPage([0, 0, page.width, page.height]);
      if (page.background) device.fillImage(page.background, [page.width, 0, 0, page.height, 0, 0], 1);
      const text = this.pageText(page);
      // mupdf's PDF writer emits ignored text as text render mode 3: there, never painted.
      if (text) device.ignoreText(text, mupdf.Matrix.identity);
      writer.endPage();
    }
    writer.close();
    writer.destroy();
    const layer = new mupdf.PDFDocument(buffer);
    layer.subsetFonts();
    return layer;
  }
}

const CJK = '\\u1100-\\u11ff\\u2e80-\\ua4cf\\uac00-\\ud7af\\uf900-\\ufaff\\ufe30-\\ufe4f\\uff00-\\uffef\\u{20000}-\\u{3ffff}';
/** Where a line may break: runs of spaces, single CJK characters, and words of anything else. */
const BREAKABLE = new RegExp(`\\s+|[${CJK}]|[^\\s${CJK}]+`, 'gu');
