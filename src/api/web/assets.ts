/**
 * The built web page (dist/web, made by scripts/build-web.mjs): its manifest names the hashed
 * bundles the HTML links to. The manifest is re-read when it changes, so a rebuild while the API
 * runs (development) is picked up without a restart.
 */
import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/web from src/api/web and from dist/api/web alike. */
export const WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

export interface EntryFiles { js: string; css: string }
export interface WebManifest { app: EntryFiles; login: EntryFiles; files: string[] }

/** Content-hashed names (esbuild's [name]-[hash]) may be cached for ever. */
export const HASHED_NAME = /^[\w.]+-[A-Z0-9]{8}\.(js|css|map|woff2?|ttf|txt)$/;

export const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.ico': 'image/x-icon',
};

export interface WebAssets {
  /** The current manifest, or undefined when the page has not been built. */
  manifest(): Promise<WebManifest | undefined>;
  /** The absolute path of a file the manifest names, else undefined (no other file is served). */
  file(name: string): Promise<string | undefined>;
}

export function createWebAssets(dir = WEB_DIR): WebAssets {
  let cached: { mtimeMs: number; manifest: WebManifest; files: Set<string> } | undefined;

  async function load() {
    const file = path.join(dir, 'manifest.json');
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch {
      return undefined;
    }
    if (cached?.mtimeMs !== mtimeMs) {
      const manifest = JSON.parse(await readFile(file, 'utf8')) as WebManifest;
      cached = { mtimeMs, manifest, files: new Set(manifest.files) };
    }
    return cached;
  }

  return {
    manifest: async () => (await load())?.manifest,
    async file(name) {
      const loaded = await load();
      // Only names the build wrote: no path from the request ever reaches the file system.
      return loaded?.files.has(name) ? path.join(dir, name) : undefined;
    },
  };
}
