// First step of `npm start` and `npm test` (their pre-scripts): installs the locked dependencies with
// `npm ci` when node_modules is missing or does not match package-lock.json, and does nothing when
// it does, so a fresh clone needs no separate install and a second run does not reinstall.
// Node built-ins only: it runs before anything is installed.
//
// "Matches" is judged against npm's own record of what it installed, node_modules/.package-lock.json
// (the hidden lockfile npm writes at the end of every successful `npm ci` / `npm install`), rather
// than against a stamp of our own:
// - it is right whoever installed: a plain `npm ci`, an `npm install <pkg>` that updated both files,
//   or a worktree whose node_modules is a symlink to another checkout's (a stamp would be missing
//   there and trigger a reinstall of a folder others use);
// - npm writes it last, after install scripts, and `npm ci` first deletes node_modules: an install
//   that failed or was interrupted halfway leaves no record, so the next run installs again.
// Only what decides the files on disk is compared (each package's path, version, resolved and
// integrity): the dev/optional flags may change (a package moved to "dependencies") without anything
// to reinstall. Optional packages may be absent (other platforms' binaries are never installed).
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const modules = path.join(root, 'node_modules');

function readPackages(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).packages ?? {};
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

const identity = (entry) => JSON.stringify([entry.version, entry.resolved, entry.integrity, entry.link]);

const name = (key) => key.replace(/^node_modules\//, '');

/** Why node_modules does not match package-lock.json, or undefined when it does. */
function mismatch(locked) {
  const installed = readPackages(path.join(modules, '.package-lock.json'));
  if (!installed) return 'node_modules has no record of a finished npm install';
  for (const [key, entry] of Object.entries(locked)) {
    if (key === '') continue; // the project itself
    if (installed[key] ? identity(installed[key]) !== identity(entry) : !entry.optional && !entry.devOptional) {
      return `node_modules does not match package-lock.json (${name(key)})`;
    }
  }
  const extra = Object.keys(installed).find((key) => !(key in locked));
  return extra ? `node_modules holds a package that package-lock.json does not name (${name(extra)})` : undefined;
}

function isSymlink(file) {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The npm that runs this script (npm sets npm_execpath for scripts), else the npm on PATH. */
function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /^npm(-cli)?(\.c?js)?$/.test(path.basename(execPath))) return [process.execPath, [execPath]];
  return ['npm', []];
}

const locked = readPackages(path.join(root, 'package-lock.json'));
if (!locked) {
  console.error('ensure-deps: package-lock.json is missing: restore it (git checkout package-lock.json); it pins what gets installed.');
  process.exit(1);
}
const link = isSymlink(modules);
const reason = link === undefined ? 'node_modules is missing' : mismatch(locked);
if (reason) {
  if (link) {
    // `npm ci` would empty the folder the link points to, which other checkouts use.
    console.error(`ensure-deps: ${reason}, and node_modules is a symlink to ${readlinkSync(modules)}: ` +
      'not reinstalling a shared folder. Run `npm ci` where it lives, or replace the link with a folder of your own.');
    process.exit(1);
  }
  // --prefer-offline: the lock pins every tarball by its integrity hash, so npm's cache is as good as
  // the registry for it; only what the cache lacks is downloaded. --include=dev: both commands need
  // the dev dependencies (tsc, eslint) even where NODE_ENV=production would have npm omit them, and
  // an install without them would never match the lock, so every run would reinstall.
  const args = ['ci', '--include=dev', '--prefer-offline', '--no-audit', '--no-fund'];
  console.log(`ensure-deps: ${reason}: installing the locked dependencies (npm ${args.join(' ')})`);
  const [command, prefix] = npmCommand();
  const started = Date.now();
  const result = spawnSync(command, [...prefix, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`ensure-deps: npm ci failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}); ` +
      'fix the error above and run the command again: the next npm start or npm test retries the install.');
    process.exit(1);
  }
  console.log(`ensure-deps: dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
