/** The streaming decoder of an Azure analyze's JSON body: the bytes of base64Source, whatever the chunking, and the refusals. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { createBase64SourceDecoder, type Base64SourceOutcome } from '../../src/api/azure/base64-source.js';

/** Feeds `body` in chunks of `chunkSize` bytes and collects what comes out. */
async function decode(body: string, chunkSize = 7, maxBodyBytes = 1024 * 1024): Promise<{ bytes: Buffer; outcome: Base64SourceOutcome }> {
  const decoder = createBase64SourceDecoder(maxBodyBytes);
  const input = Buffer.from(body);
  const chunks = Array.from({ length: Math.ceil(input.length / chunkSize) }, (_, i) => input.subarray(i * chunkSize, (i + 1) * chunkSize));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(decoder.stream)) out.push(chunk as Buffer);
  return { bytes: Buffer.concat(out), outcome: decoder.outcome() };
}

test('the bytes of base64Source, split anywhere, beside other members of any kind', async () => {
  const document = randomBytes(1000);
  const b64 = document.toString('base64');
  const body = `{ "note": "a \\"quoted\\" } , value", "nested": {"a": [1, {"b": "}"}]}, "n": -1.5e3, "ok": true,\n "base64Source" : "${b64}" , "pages": null }`;
  for (const chunkSize of [1, 2, 3, 5, 64, body.length]) {
    const { bytes, outcome } = await decode(body, chunkSize);
    assert.deepEqual(outcome, { base64Source: true, urlSource: false }, `chunks of ${chunkSize}`);
    assert.ok(bytes.equals(document), `chunks of ${chunkSize}`);
  }
});

test('JSON escapes a base64 string may carry: "\\/" and MIME line breaks', async () => {
  // Starts with 0xff 0xff 0xff, so its base64 starts with "////". Lines are cut before "/" is
  // escaped: cut after, a line could end between the two characters of "\/", which no encoder writes.
  const document = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), randomBytes(197)]);
  const b64 = document.toString('base64').replace(/(.{76})/g, '$1\\n').replace(/\//g, '\\/');
  const { bytes, outcome } = await decode(`{"base64Source":"${b64}"}`, 3);
  assert.equal(outcome.problem, undefined);
  assert.ok(bytes.equals(document));
});

test('urlSource is noted (the route refuses it); a body without base64Source says so', async () => {
  assert.deepEqual((await decode('{"urlSource": "https://example.com/a.pdf"}')).outcome, { base64Source: false, urlSource: true });
  assert.deepEqual((await decode('{}')).outcome, { base64Source: false, urlSource: false });
});

test('malformed and oversized bodies are recorded, never thrown, and nothing more comes out', async () => {
  const cases: Array<[string, RegExp]> = [
    ['[1, 2]', /JSON object/],
    ['{"base64Source": 12}', /must be a string/],
    ['{"base64Source": "QUJD!!"}', /not base64/],
    ['{"base64Source": "QUJD\\u0041"}', /escape/],
    ['{"base64Source": "QUJD", "base64Source": "QUJD"}', /twice/],
    ['{"base64Source": "QUJD"', /ends before/],
    ['{"base64Source": "QUJD"} trailing', /nothing after/],
    ['{"a" 1}', /":"/],
  ];
  for (const [body, problem] of cases) {
    const { outcome } = await decode(body);
    assert.match(outcome.problem?.message ?? '', problem, body);
    assert.equal(outcome.problem?.tooLarge, false, body);
  }
  const big = await decode(`{"base64Source": "${'QUJD'.repeat(100)}"}`, 16, 200);
  assert.deepEqual(big.outcome.problem?.tooLarge, true);
  assert.ok(big.bytes.length <= 150, 'output stops at the limit');
});
