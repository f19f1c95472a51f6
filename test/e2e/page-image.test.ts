/** GET /api/tasks/{id}/pages/{n}/image: a task's page as the model saw it, for review. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { readTag, taggedImage, transparentTaggedImage } from '../helpers/images.js';
import { makePdf, makeScanPdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
let pdfTask: string;
before(async () => {
  stack = await startStack();
  pdfTask = await submit('pdf', makePdf([901, 902, 903], { textLines: 10 }), 'three.pdf');
  await waitForTask(stack, pdfTask);
});
after(() => stack?.stop());

async function submit(route: 'pdf' | 'image', bytes: Buffer, fileName: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/${route}`, bytes, fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return body.task_id as string;
}

const imageUrl = (id: string, n: number | string, query = '') => `${stack.api}/api/tasks/${id}/pages/${n}/image${query}`;

async function fetchImage(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { res, data: Buffer.from(await res.arrayBuffer()) };
}

async function previewCount(source: string): Promise<number> {
  const text = await (await fetch(`${stack.api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`ocr_page_previews_total{source="${source}"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('a PDF page: WebP 1000 px wide by default, the asked width and PNG on request, each page its own', async () => {
  const { res, data } = await fetchImage(imageUrl(pdfTask, 2));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/webp');
  assert.equal(res.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
  const meta = await sharp(data).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.width, 1000);
  assert.ok(Math.abs(meta.height - (1000 * 842) / 595) <= 1, `A4's proportions (${meta.height})`);
  assert.equal(await readTag(data), 902);

  const small = await fetchImage(imageUrl(pdfTask, 3, '?width=64&format=png'));
  assert.equal(small.res.status, 200);
  assert.equal(small.res.headers.get('content-type'), 'image/png');
  assert.equal((await sharp(small.data).metadata()).width, 64);
  const large = await fetchImage(imageUrl(pdfTask, 1, '?width=2000'));
  assert.equal((await sharp(large.data).metadata()).width, 2000);
  assert.equal(await readTag(large.data), 901);
  // Each page, width and format has its own ETag.
  const tags = new Set([res, small.res, large.res].map((r) => r.headers.get('etag')));
  assert.equal(tags.size, 3);
});

test('If-None-Match with the ETag is a 304 without a body; a second look comes from the disk cache', async () => {
  const url = imageUrl(pdfTask, 1, '?width=500');
  const first = await fetchImage(url);
  const etag = first.res.headers.get('etag')!;
  const [rendered, cached, notModified] = [await previewCount('render'), await previewCount('cache'), await previewCount('not_modified')];

  // As a browser revalidates (fetch() itself would add "Cache-Control: no-cache", which asks for a full answer).
  const again = await fetchImage(url, { 'if-none-match': etag, 'cache-control': 'max-age=0' });
  assert.equal(again.res.status, 304);
  assert.equal(again.data.length, 0);
  assert.equal(again.res.headers.get('etag'), etag);
  assert.equal(await previewCount('not_modified'), notModified + 1);

  const fromCache = await fetchImage(url, { 'if-none-match': '"something-else"', 'cache-control': 'max-age=0' });
  assert.equal(fromCache.res.status, 200);
  assert.deepEqual(fromCache.data, first.data);
  assert.equal(await previewCount('cache'), cached + 1);
  assert.equal(await previewCount('render'), rendered);
  const files = await readdir(path.join(stack.config.dataDir, 'cache', 'pages'));
  assert.ok(files.length >= 1, 'previews are kept under DATA_DIR/cache/pages');
});

test('bad widths, formats and pages, and unknown tasks, are 4xx with a code', async () => {
  for (const query of ['?width=63', '?width=2001', '?width=abc', '?width=100.5', '?format=gif']) {
    const { status, body } = await getJson<{ code: string; detail: string }>(imageUrl(pdfTask, 1, query));
    assert.equal(status, 400, query);
    assert.equal(body.code, 'invalid_query', query);
    assert.match(body.detail, query.startsWith('?format') ? /webp, png/ : /64 to 2000/);
  }
  for (const [n, status, code] of [[0, 400, 'invalid_page_number'], ['x', 400, 'invalid_page_number'], [4, 404, 'page_out_of_range']] as const) {
    const answer = await getJson<{ code: string }>(imageUrl(pdfTask, n));
    assert.equal(answer.status, status, String(n));
    assert.equal(answer.body.code, code, String(n));
  }
  const unknown = await getJson<{ code: string }>(imageUrl('00000000-0000-4000-8000-000000000000', 1));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'task_not_found');
  // Without the password the route is not there, as every protected route.
  const noPassword = await fetch(`${stack.origin}/api/tasks/${pdfTask}/pages/1/image`);
  assert.equal(noPassword.status, 404);
  const bearer = await fetch(`${stack.origin}/api/tasks/${pdfTask}/pages/1/image?width=64`, { headers: { authorization: 'Bearer test-pw' } });
  assert.equal(bearer.status, 200);
});

test('images: upright as the model saw them, flattened, never enlarged, a TIFF page per frame', async () => {
  // Stored sideways with an EXIF orientation: the preview is upright (wider than tall), as the model's copy.
  const sideways = await sharp(await taggedImage(911, 'png', 320, 48)).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  const photo = await submit('image', sideways, 'photo.jpg');
  const upright = await fetchImage(imageUrl(photo, 1));
  assert.equal(upright.res.status, 200);
  const meta = await sharp(upright.data).metadata();
  assert.deepEqual([meta.width, meta.height], [320, 48]); // 320 px wide: not enlarged to 1000
  assert.equal(await readTag(upright.data), 911);
  assert.equal((await getJson<{ code: string }>(imageUrl(photo, 2))).body.code, 'page_out_of_range');

  // White ink on transparency is set on black, as for the model: still readable.
  const light = await submit('image', await transparentTaggedImage(912, 255), 'light.png');
  const flat = await fetchImage(imageUrl(light, 1, '?format=png'));
  const flatMeta = await sharp(flat.data).metadata();
  assert.equal(flatMeta.hasAlpha, false);
  const { data } = await sharp(flat.data).greyscale().raw().toBuffer({ resolveWithObject: true });
  assert.ok(Math.max(...data) === 255 && Math.min(...data) === 0, 'white ink on black');

  const tiff = await sharp(await Promise.all([913, 914].map((t) => taggedImage(t))), { join: { animated: true } }).tiff().toBuffer();
  const fax = await submit('image', tiff, 'fax.tiff');
  assert.equal(await readTag((await fetchImage(imageUrl(fax, 2))).data), 914);
  assert.equal(await readTag((await fetchImage(imageUrl(fax, 1))).data), 913);

  const bmp = await submit('image', await taggedImage(915, 'bmp'), 'old.bmp');
  assert.equal(await readTag((await fetchImage(imageUrl(bmp, 1, '?width=160'))).data), 915);
});

test('a scanned page, while its task still runs', async () => {
  stack.stub.script([{ kind: 'ok', delayMs: 3000 }], 921);
  const scan = await submit('pdf', await makeScanPdf([921]), 'scan.pdf');
  const { res, data } = await fetchImage(imageUrl(scan, 1, '?width=800'));
  assert.equal(res.status, 200);
  assert.equal((await sharp(data).metadata()).width, 800);
  assert.equal(await readTag(data), 921);
  const { body } = await getJson<{ data: { status: string } }>(`${stack.api}/api/tasks/${scan}`);
  assert.notEqual(body.data.status, 'completed', 'drawn while the task runs');
  await waitForTask(stack, scan);
});

test('a deleted task (and with it its file): 404, also for a preview drawn before', async () => {
  const id = await submit('pdf', makePdf([931]), 'gone.pdf');
  await waitForTask(stack, id);
  assert.equal((await fetchImage(imageUrl(id, 1, '?width=321'))).res.status, 200);
  assert.equal((await fetch(`${stack.api}/api/tasks/${id}`, { method: 'DELETE' })).status, 200);
  const { status, body } = await getJson<{ code: string }>(imageUrl(id, 1, '?width=321'));
  assert.equal(status, 404);
  assert.equal(body.code, 'task_not_found');
});
