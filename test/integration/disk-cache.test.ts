/** The page-preview disk cache on a real directory: its bound, its order, a restart, another process's removals. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openDiskCache } from '../../src/previews/disk-cache.js';

const key = (name: string) => createHash('sha256').update(name).digest('hex');
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
const tempDir = () => mkdtemp(path.join(os.tmpdir(), 'ocr-disk-cache-'));

test('keeps at most its bound, dropping the least recently used first, from memory and from disk', async () => {
  const dir = await tempDir();
  const cache = await openDiskCache(dir, 1000);
  await cache.put(key('a'), bytes(400, 1));
  await cache.put(key('b'), bytes(400, 2));
  assert.deepEqual(await cache.get(key('a')), bytes(400, 1)); // a is now the most recent
  await cache.put(key('c'), bytes(400, 3)); // 1200 > 1000: b goes
  assert.equal(await cache.get(key('b')), undefined);
  assert.deepEqual(await cache.get(key('c')), bytes(400, 3));
  assert.equal(cache.size(), 800);
  // Removal from disk runs in the background.
  for (let i = 0; i < 50 && (await readdir(dir)).includes(key('b')); i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual((await readdir(dir)).sort(), [key('a'), key('c')].sort());
  // Larger than the whole bound: not kept.
  await cache.put(key('d'), bytes(1001, 4));
  assert.equal(await cache.get(key('d')), undefined);
  await rm(dir, { recursive: true, force: true });
});

test('a restart counts what is on disk (oldest first), removes stale half-written files, and a file removed meanwhile is a miss', async () => {
  const dir = await tempDir();
  const first = await openDiskCache(dir, 1000);
  await first.put(key('old'), bytes(500, 1));
  await new Promise((r) => setTimeout(r, 20));
  await first.put(key('new'), bytes(400, 2));
  const stale = path.join(dir, `.${key('x')}.dead.part`);
  await writeFile(stale, 'half');
  await utimes(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  // Names that are not keys are never touched nor served.
  await writeFile(path.join(dir, 'README'), 'not a preview');

  const second = await openDiskCache(dir, 1000);
  assert.equal(second.size(), 900);
  assert.deepEqual(await second.get(key('new')), bytes(400, 2));
  await second.put(key('more'), bytes(300, 3)); // 1200: the oldest on disk goes
  assert.equal(await second.get(key('old')), undefined);
  assert.ok(!(await readdir(dir)).some((name) => name.endsWith('.part')));
  assert.ok((await readdir(dir)).includes('README'));
  assert.equal(await second.get('../README'), undefined);

  await rm(path.join(dir, key('new')));
  assert.equal(await second.get(key('new')), undefined);
  assert.equal(second.size(), 300);
  await rm(dir, { recursive: true, force: true });
});
