/**
 * Rendered page previews on disk (DATA_DIR/cache/pages), at most `maxBytes` of them: the least
 * recently used go first. What is on disk when the process starts is counted (oldest first by
 * modification time), so the bound holds across restarts. Processes sharing the directory (API
 * replicas on one volume) each keep to the bound for what they know of; a file another removed is
 * a miss, never an error.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

export interface DiskCache {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, data: Buffer): Promise<void>;
  /**
   * For entries too large to hold in memory: the entry opened for reading (an eviction while it is
   * read removes the name, never the bytes being read), or undefined.
   */
  open(key: string): Promise<FileHandle | undefined>;
  /** A path in the cache's directory to write an entry to before `adopt` (a crash leaves a `.part` swept at the next start). */
  partPath(key: string): string;
  /** Takes the file at `partPath`'s path as the entry for `key` (or removes it when the cache has no room for it). */
  adopt(key: string, partPath: string): Promise<void>;
  /** Bytes this process counts as stored. */
  size(): number;
}

/** Keys are hex digests: nothing from a request ever names a file. */
const KEY = /^[0-9a-f]{64}$/;
/** Older than this, a `.part` file is no write under way. */
const STALE_PART_MS = 10 * 60_000;

export async function openDiskCache(dir: string, maxBytes: number): Promise<DiskCache> {
  await mkdir(dir, { recursive: true });
  const file = (key: string) => path.join(dir, key);
  const partPath = (key: string) => path.join(dir, `.${key}.${randomUUID()}.part`);
  // Values are the files' sizes; an entry that leaves the index (evicted, replaced) leaves the disk.
  const index = new LRUCache<string, number>({
    maxSize: Math.max(1, maxBytes),
    sizeCalculation: (bytes) => Math.max(1, bytes),
    dispose: (_bytes, key, reason) => {
      if (reason === 'evict' || reason === 'delete') void rm(file(key), { force: true });
    },
  });
  const names = await readdir(dir);
  // Half-written files of a process that died while writing them.
  await Promise.all(names.filter((name) => name.endsWith('.part')).map(async (name) => {
    const info = await stat(file(name)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_PART_MS) await rm(file(name), { force: true });
  }));
  const found = await Promise.all(names.filter((name) => KEY.test(name)).map(async (name) => {
    const info = await stat(file(name)).catch(() => undefined);
    return info?.isFile() ? { name, bytes: info.size, mtime: info.mtimeMs } : undefined;
  }));
  for (const entry of found.filter((e) => e !== undefined).sort((a, b) => a.mtime - b.mtime)) index.set(entry.name, entry.bytes);

  return {
    async get(key) {
      if (!KEY.test(key) || index.get(key) === undefined) return undefined;
      try {
        return await readFile(file(key));
      } catch {
        index.delete(key);
        return undefined;
      }
    },
    async put(key, data) {
      if (!KEY.test(key) || maxBytes <= 0 || data.length > maxBytes) return;
      // Written whole, then renamed: a reader never sees half a file.
      const temp = partPath(key);
      await writeFile(temp, data);
      await rename(temp, file(key));
      index.set(key, data.length);
    },
    async open(key) {
      if (!KEY.test(key) || index.get(key) === undefined) return undefined;
      try {
        return await open(file(key), 'r');
      } catch {
        index.delete(key);
        return undefined;
      }
    },
    partPath,
    async adopt(key, temp) {
      const { size } = await stat(temp);
      if (!KEY.test(key) || maxBytes <= 0 || size > maxBytes) {
        await rm(temp, { force: true });
        return;
      }
      await rename(temp, file(key));
      index.set(key, size);
    },
    size: () => index.calculatedSize,
  };
}
