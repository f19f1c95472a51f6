/** A page's image spliced into the request body as bytes (vision/image-body.ts): the body a server reads is the JSON the SDK meant. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createImageBodies, spliceImage, writeBase64 } from '../../src/vision/image-body.js';

test('base64 written in pieces is the base64 of the whole, for every length around a piece boundary', () => {
  for (const length of [0, 1, 2, 3, 4, 48 * 1024 - 1, 48 * 1024, 48 * 1024 + 1, 48 * 1024 + 2, 3 * 48 * 1024 + 5]) {
    const data = randomBytes(length);
    const expected = data.toString('base64');
    const target = Buffer.alloc(expected.length + 4, '#');
    const end = writeBase64(target, 2, data);
    assert.equal(end, 2 + expected.length, `${length} bytes`);
    assert.equal(target.toString('latin1'), `##${expected}##`, `${length} bytes`);
  }
});

test('the spliced body parses as the JSON with the data URL in it, text beside it in any script', () => {
  const data = randomBytes(200_000);
  const params = { model: 'm', messages: [{ role: 'system', content: '只输出 Markdown — “quoted” \\ \n' }, { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,PLACEHOLDER' } }] }] };
  const body = spliceImage(JSON.stringify(params), 'PLACEHOLDER', data);
  const parsed = JSON.parse(body.toString('utf8')) as typeof params;
  assert.equal(parsed.messages[0]!.content, params.messages[0]!.content);
  assert.equal((parsed.messages[1]!.content as Array<{ image_url: { url: string } }>)[0]!.image_url.url, `data:image/png;base64,${data.toString('base64')}`);
});

test("the client's fetch sends the held image in the placeholder's place, and a body without one as it is", async () => {
  const sent: Array<{ url: string; body: unknown }> = [];
  const bodies = createImageBodies((input, init) => {
    sent.push({ url: input instanceof Request ? input.url : input.toString(), body: init?.body });
    return Promise.resolve(new Response('{}'));
  });
  const data = randomBytes(1000);
  const held = bodies.hold({ data, mimeType: 'image/jpeg' });
  assert.ok(held.url.length < 100, 'the JSON the SDK builds holds a short placeholder, not the image');
  await bodies.fetch('http://model/v1/chat/completions', { method: 'POST', body: JSON.stringify({ url: held.url }) });
  assert.ok(Buffer.isBuffer(sent[0]!.body));
  assert.deepEqual(JSON.parse(String(sent[0]!.body)), { url: `data:image/jpeg;base64,${data.toString('base64')}` });

  await bodies.fetch('http://model/v1/models', { method: 'GET' });
  assert.equal(sent[1]!.body, undefined);
  // Released: the placeholder no longer stands for anything, and is sent as it was (never another image).
  held.release();
  const stale = JSON.stringify({ url: held.url });
  await bodies.fetch('http://model/v1/chat/completions', { method: 'POST', body: stale });
  assert.equal(sent[2]!.body, stale);
});
