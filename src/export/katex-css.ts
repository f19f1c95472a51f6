/**
 * KaTeX's stylesheet with its fonts inside, for a document that must render offline: each
 * `url(fonts/….woff2)` becomes a data: URL and the woff/ttf alternatives are dropped (every browser
 * KaTeX's CSS supports reads woff2). Built on first use and kept: about 370 kB, the same every time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
/** One @font-face `src`: the woff2 first, then the other formats KaTeX lists. */
const FONT_SRC = /src:url\((fonts\/[\w-]+\.woff2)\) format\("woff2"\)(?:,url\([^)]*\) format\("[^"]*"\))*/g;

let css: Promise<string> | undefined;

export function inlineKatexCss(): Promise<string> {
  return (css ??= buildKatexCss().catch((err: unknown) => {
    css = undefined; // an unreadable file is tried again on the next export
    throw err;
  }));
}

async function buildKatexCss(): Promise<string> {
  const cssPath = require.resolve('katex/dist/katex.min.css');
  const source = await readFile(cssPath, 'utf8');
  const files = [...new Set([...source.matchAll(FONT_SRC)].map((m) => m[1]!))];
  const fonts = new Map(await Promise.all(files.map(async (file) =>
    [file, (await readFile(path.join(path.dirname(cssPath), file))).toString('base64')] as const)));
  const inlined = source.replace(FONT_SRC, (_, file: string) => `src:url(data:font/woff2;base64,${fonts.get(file)}) format("woff2")`);
  // A KaTeX release that words its @font-face rules differently would otherwise ship a document
  // that fetches fonts relative to wherever it is opened.
  if (!files.length || /url\((?!data:)/.test(inlined)) throw new Error(`${cssPath}: font references are not in the form expected; update src/export/katex-css.ts`);
  return inlined;
}
