// `npm run build:web` (part of `npm run build`, `npm start` and `npm test`): bundles the web page
// from src/web with esbuild into dist/web — content-hashed file names, KaTeX's CSS and fonts
// included, nothing fetched from a CDN — and writes dist/web/manifest.json, which the API reads to
// name the hashed files in its HTML.
//
// Runs that overlap (two test processes, a dev server) are safe: hashed names never clash, the
// manifest is replaced atomically, and only files no manifest names any more are removed.
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist/web');
const sourceDir = path.join(root, 'src/web');
// The page imports the contract and the Markdown renderer the server shares: a change there is a
// change of the page.
const sourceDirs = [sourceDir, path.join(root, 'src/contract'), path.join(root, 'src/render')];

/** True when dist/web/manifest.json is newer than every file under the source directories. */
async function upToDate() {
  let built;
  try {
    built = (await stat(path.join(outdir, 'manifest.json'))).mtimeMs;
  } catch {
    return false;
  }
  for (const dir of sourceDirs) {
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      if ((await stat(path.join(entry.parentPath, entry.name))).mtimeMs > built) return false;
    }
  }
  return true;
}

export async function buildWeb({ ifChanged = false } = {}) {
  if (ifChanged && (await upToDate())) return false;
  await mkdir(outdir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: 'src/web/main.ts', login: 'src/web/login.ts' },
    bundle: true,
    format: 'esm',
    // The Markdown renderer (markdown-it, KaTeX, DOMPurify) is a chunk of its own, loaded on demand.
    splitting: true,
    chunkNames: '[name]-[hash]',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: 'linked',
    outdir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    // Fonts referenced by KaTeX's CSS become hashed files under /static/.
    publicPath: '/static/',
    loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'file' },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const entry = (name) => {
    const find = (ext) => outputs.find((f) => f.startsWith(`${name}-`) && f.endsWith(ext));
    return { js: find('.js'), css: find('.css') };
  };
  await copyFile(path.join(sourceDir, 'assets/favicon.ico'), path.join(outdir, 'favicon.ico'));
  const manifest = { app: entry('app'), login: entry('login'), files: [...outputs, 'favicon.ico'].sort() };
  const tmp = path.join(outdir, `manifest.json.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, path.join(outdir, 'manifest.json'));
  // Outputs of earlier builds (older hashes) that nothing names any more.
  const keep = new Set([...manifest.files, 'manifest.json']);
  for (const name of await readdir(outdir)) {
    if (!keep.has(name) && !name.endsWith('.tmp')) await rm(path.join(outdir, name), { force: true });
  }
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await buildWeb({ ifChanged: process.argv.includes('--if-changed') });
  console.log(built ? `web page built into dist/web in ${Date.now() - started} ms` : 'web page is up to date');
}
