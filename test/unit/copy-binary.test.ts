/**
 * The binary COPY reader on data as PostgreSQL writes it (the store test reads real COPY output):
 * whatever the chunking, the values come out whole and in order; malformed data is an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { copyValues } from '../../src/store/copy-binary.js';

const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

/** COPY's binary format for one-column rows, with an optional header extension. */
function copyData(values: (Buffer | null)[], { extension = Buffer.alloc(0), fields = 1, trailer = true } = {}): Buffer {
  const parts = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(extension.length), extension];
  for (const value of values) parts.push(int16(fields), value === null ? int32(-1) : Buffer.concat([int32(value.length), value]));
  if (trailer) parts.push(int16(-1));
  return Buffer.concat(parts);
}

function* chunked(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function read(data: Buffer, size: number, expected: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of copyValues(chunked(data, size), expected)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

test('values come out whole and in order however the data is split', async () => {
  const values = [randomBytes(1000), Buffer.alloc(0), randomBytes(7), randomBytes(70_000)];
  const data = copyData(values, { extension: Buffer.from('ext') });
  for (const size of [1, 2, 3, 5, 6, 19, 4096, data.length]) {
    assert.ok((await read(data, size, values.length)).equals(Buffer.concat(values)), `chunks of ${size} bytes`);
  }
  assert.equal((await read(copyData([]), 1, 0)).length, 0, 'no rows');
});

test('data that is not one column of values is refused', async () => {
  const value = randomBytes(10);
  const cases: [Buffer, number, RegExp][] = [
    [copyData([value]).subarray(1), 1, /bad signature/],
    [copyData([value], { fields: 2 }), 1, /2 fields/],
    [copyData([null]), 1, /NULL/],
    [copyData([value], { trailer: false }), 1, /ended early/],
    [copyData([value]).subarray(0, -5), 1, /ended early/],
    [Buffer.concat([copyData([value]), Buffer.from([0])]), 1, /after the end marker/],
    [copyData([value, value]), 3, /2 values, expected 3/],
  ];
  for (const [data, expected, error] of cases) {
    for (const size of [1, data.length]) await assert.rejects(read(data, size, expected), error);
  }
});
