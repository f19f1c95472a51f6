/** An image from HTTP upload through the Temporal workflow and the model into Postgres and back. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { taggedImage, transparentTaggedImage, type ImageFormat } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import * as mupdf from 'mupdf';
import { renderPage } from '../../src/pdf/document.js';
import { makePdf, makeScanPdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack, type TaskData } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  // A short model timeout so the hang case times out quickly; a 1 MB image limit for the size case.
  stack = await startStack({ env: { API_TIMEOUT: '2', MAX_IMAGE_SIZE_MB: '1', MAX_RETRIES: '3' } });
});
after(() => stack?.stop());

interface SubmitBody { status: string; task_id: string; message: string; estimated_time: number; endpoints: Record<string, string> }
interface ResultBody { data: { task_id: string; status: string; content: string; progress: number; error_message: string | null; page_results: unknown[] } }

async function submit(bytes: Buffer, fileName: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/image`, bytes, fileName);
  assert.equal(status, 200, JSON.stringify(body));
  return (body as unknown as SubmitBody).task_id;
}

async function runTagged(tag: number, actions: StubAction[] = [], format: ImageFormat = 'png'): Promise<{ task: TaskData; result: ResultBody['data'] }> {
  stack.stub.script(actions, tag);
  const id = await submit(await taggedImage(tag, format), `page-${tag}.${format}`);
  const task = await waitForTask(stack, id);
  const { body } = await getJson<ResultBody>(`${stack.api}/api/tasks/${id}/result`);
  return { task, result: body.data };
}

describe('every accepted image format reaches the model with its real type', () => {
  const expected: Array<[ImageFormat, string]> = [
    ['png', 'image/png'], ['jpeg', 'image/jpeg'], ['webp', 'image/webp'], ['gif', 'image/gif'],
    // The API does not take these: they are converted to PNG first (BMP by mupdf, a TIFF's frame by libvips).
    ['bmp', 'image/png'], ['tiff', 'image/png'],
  ];
  for (const [index, [format, sentAs]] of expected.entries()) {
    test(`${format} → Markdown`, async () => {
      const tag = 100 + index;
      const { task, result } = await runTagged(tag, [], format);
      assert.equal(task.status, 'completed');
      assert.equal(result.content, stubMarkdown(tag));
      assert.equal(result.progress, 100);
      const calls = stack.stub.callsFor(tag);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.mimeType, sentAs);
      assert.equal(calls[0]!.model, 'stub-model');
      assert.equal(calls[0]!.authorization, 'Bearer sk-test-key');
    });
  }
});

test('a photo stored sideways with an EXIF orientation reaches the model upright, and the page says so', async () => {
  const tag = 441;
  // Orientation 6: "turn 90° clockwise to view". Stored turned the other way, it is upright once that is done.
  const sideways = await sharp(await taggedImage(tag, 'png', 320, 48)).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(sideways).metadata()).orientation, 6);
  const id = await submit(sideways, 'phone.jpg');
  const task = await waitForTask(stack, id);
  assert.equal(task.status, 'completed');
  const calls = stack.stub.callsFor(tag);
  assert.deepEqual(calls.map((c) => c.size), [{ width: 320, height: 48 }], 'the stub read the tag: the image it got was upright');
  const { body } = await getJson<ResultBody>(`${stack.api}/api/tasks/${id}/result`);
  assert.equal(body.data.content, stubMarkdown(tag));
  const [page] = task.page_results as Array<{ warnings: string[]; sent_image: unknown }>;
  assert.deepEqual(page!.warnings, ['orientation_applied']);
  // IMAGE_FORMAT auto: turned, it is encoded anew, as the smaller of PNG and JPEG (bars: PNG).
  assert.deepEqual(page!.sent_image, { width: 320, height: 48, bytes: calls[0]!.imageBytes, mime_type: calls[0]!.mimeType });
  assert.equal(calls[0]!.mimeType, 'image/png');
});

test('an image with transparency is set on the background that keeps its ink readable: dark ink on white, light ink on black', async () => {
  for (const [tag, ink, seenAs] of [[451, 0, 451], [452, 255, ~452 & 0xffff]] as const) {
    const id = await submit(await transparentTaggedImage(tag, ink), `logo-${ink}.png`);
    const task = await waitForTask(stack, id);
    assert.equal(task.status, 'completed');
    // The stub reads dark bars: light ink on black reads as the tag's complement, and a flat image as 0 or 0xffff.
    assert.deepEqual(stack.stub.callsFor(seenAs).map((c) => c.mimeType), ['image/png'], `ink ${ink}: the bars reached the model with their contrast`);
    assert.deepEqual((task.page_results as Array<{ warnings: string[] }>).map((p) => p.warnings), [['alpha_flattened']]);
  }
});

test('an image larger than IMAGE_MAX_SIDE is scaled down to it, keeping its proportions; a smaller one is sent as it is', async () => {
  const tag = 461;
  const id = await submit(await taggedImage(tag, 'png', 3000, 300), 'wide.png');
  const task = await waitForTask(stack, id);
  assert.equal(task.status, 'completed');
  assert.deepEqual(stack.stub.callsFor(tag).map((c) => c.size), [{ width: 2560, height: 256 }]);
  assert.deepEqual((task.page_results as Array<{ warnings: string[] }>).map((p) => p.warnings), [['downscaled']]);
  const small = await runTagged(462);
  assert.deepEqual(stack.stub.callsFor(462).map((c) => c.size), [{ width: 320, height: 48 }]);
  assert.deepEqual((small.task.page_results as Array<{ warnings: string[] }>).map((p) => p.warnings), [[]]);
});

describe('what is sent is encoded as IMAGE_FORMAT says: by default the smaller of PNG and JPEG', () => {
  interface SentPage { page_number: number; sent_image: { width: number; height: number; bytes: number; mime_type: string } | null }

  /** Submits the PDF and answers each page's sent_image with the model stub's calls for its tag. */
  async function sentFor(target: Stack, pdf: Buffer, tags: number[]) {
    const { status, body } = await postFile(`${target.api}/api/async/pdf`, pdf, 'doc.pdf');
    assert.equal(status, 200, JSON.stringify(body));
    const task = await waitForTask(target, String(body.task_id));
    assert.equal(task.status, 'completed');
    return (task.page_results as SentPage[]).map((page, i) => ({ page, calls: target.stub.callsFor(tags[i]!) }));
  }

  test('auto: a page of text goes as PNG, a scanned page as JPEG, and each page reports what was sent', async () => {
    const scanPdf = await makeScanPdf([472], { dpi: 150 });
    const [text] = await sentFor(stack, makePdf([471], { textLines: 30 }), [471]);
    const [scan] = await sentFor(stack, scanPdf, [472]);
    for (const [{ page, calls }, type] of [[text!, 'image/png'], [scan!, 'image/jpeg']] as const) {
      assert.deepEqual(calls.map((c) => [c.mimeType, c.size]), [[type, { width: 1653, height: 2339 }]], `${type}: the whole A4 page at 200 DPI`);
      assert.deepEqual(page.sent_image, { width: 1653, height: 2339, bytes: calls[0]!.imageBytes, mime_type: type });
    }
    // What auto chose the JPEG over: the same page as PNG, several times larger.
    const doc = mupdf.Document.openDocument(scanPdf, 'application/pdf');
    try {
      const { pixels, width, height, channels } = renderPage(doc, 1, { dpi: 200, maxSide: 2560 });
      const png = await sharp(pixels, { raw: { width, height, channels } }).toColourspace('b-w').png().toBuffer();
      assert.ok(scan!.page.sent_image!.bytes * 2 < png.length, `scan sent as ${scan!.page.sent_image!.bytes} bytes of JPEG; as PNG ${png.length}`);
    } finally {
      doc.destroy();
    }
  });

  test('png, jpeg and webp are sent as asked; JPEG_QUALITY sets the JPEG\'s quality', async () => {
    const sizes: Record<string, number> = {};
    for (const [format, quality, tag] of [['png', '85', 481], ['jpeg', '85', 482], ['jpeg', '60', 483], ['webp', '85', 484]] as const) {
      const other = await startStack({ env: { IMAGE_FORMAT: format, JPEG_QUALITY: quality, PDF_DPI: '100' } });
      try {
        const [sent] = await sentFor(other, makePdf([tag], { textLines: 30 }), [tag]);
        const { page, calls } = sent!;
        assert.deepEqual(calls.map((c) => c.mimeType), [`image/${format}`], `IMAGE_FORMAT=${format} JPEG_QUALITY=${quality}`);
        assert.equal(page.sent_image!.mime_type, `image/${format}`);
        sizes[`${format}@${quality}`] = page.sent_image!.bytes;
      } finally {
        await other.stop();
      }
    }
    assert.ok(sizes['jpeg@60']! < sizes['jpeg@85']!, JSON.stringify(sizes));
  });
});

describe('a multi-page TIFF (a fax, a scanner\'s output) is a document of one page a frame', () => {
  const tiffOf = async (tags: number[]) => sharp(await Promise.all(tags.map((t) => taggedImage(t))), { join: { animated: true } }).tiff().toBuffer();

  test('each frame is a page: counted at upload, sent as its own image, listed and joined in order', async () => {
    const tags = [411, 412, 413];
    const { status, body } = await postFile(`${stack.api}/api/async/image`, await tiffOf(tags), 'fax.tiff');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual([body.total_pages, body.estimated_time], [3, 9]);
    const task = await waitForTask(stack, String(body.task_id));
    assert.deepEqual([task.status, task.total_pages, task.processed_pages], ['completed', 3, 3]);
    for (const tag of tags) assert.deepEqual(stack.stub.callsFor(tag).map((c) => c.mimeType), ['image/png'], `frame of tag ${tag}`);
    const { body: result } = await getJson<{ data: { content: string; page_results: Array<{ page_number: number; content: string }> } }>(
      `${stack.api}/api/tasks/${String(body.task_id)}/result`);
    assert.equal(result.data.content, tags.map(stubMarkdown).join('\n\n'));
    assert.deepEqual(result.data.page_results.map((p) => [p.page_number, p.content]), tags.map((t, i) => [i + 1, stubMarkdown(t)]));
  });

  test('more frames than MAX_PDF_PAGES is a 400 before any task is made', async () => {
    const limited = await startStack({ worker: false, env: { MAX_PDF_PAGES: '2' } });
    try {
      const { status, body } = await postFile(`${limited.api}/api/async/image`, await tiffOf([421, 422, 423]), 'long.tiff');
      assert.deepEqual([status, body.code, body.detail], [400, 'image_too_many_pages', 'TIFF页数过多，最大支持2页 (the TIFF has 3 pages)']);
      const { rows } = await limited.pool.query<{ n: number }>('select count(*)::int as n from tasks');
      assert.equal(rows[0]!.n, 0);
    } finally {
      await limited.stop();
    }
  });

  test('a one-page image answers as before: no page list, its content alone', async () => {
    const { result } = await runTagged(431, [], 'tiff');
    assert.deepEqual([result.content, result.page_results], [stubMarkdown(431), []]);
  });
});

describe('the submit answer and the task views keep the old service\'s shapes', () => {
  test('submit, status and result', async () => {
    const tag = 200;
    const { status, body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), 'scan.png');
    assert.equal(status, 200);
    const submitted = body as unknown as SubmitBody;
    assert.equal(submitted.status, 'success');
    assert.equal(submitted.message, '图片任务已提交');
    assert.equal(typeof submitted.estimated_time, 'number');
    // Unlike the old service, the URLs carry the prefix they must be called with.
    assert.deepEqual(submitted.endpoints, {
      status: `/test-pw/api/tasks/${submitted.task_id}`,
      result: `/test-pw/api/tasks/${submitted.task_id}/result`,
      cancel: `/test-pw/api/tasks/${submitted.task_id}/cancel`,
      websocket: '/test-pw/ws',
    });
    const task = await waitForTask(stack, submitted.task_id);
    assert.equal(task.id, submitted.task_id);
    assert.equal(task.task_type, 'image_ocr');
    assert.equal(task.queue_status, 'completed');
    assert.equal(task.file_name, 'scan.png');
    assert.equal(task.total_pages, 1);
    assert.equal(task.processed_pages, 1);
    assert.equal(task.failed_pages, 0);
    assert.match(String(task.created_at), /^\d{4}-\d\d-\d\dT/);
    assert.equal((task.result_summary as { success_rate: string }).success_rate, '100.0%');
    const pages = task.page_results as Array<Record<string, unknown>>;
    assert.equal(pages.length, 1);
    assert.equal(pages[0]!.status, 'completed');
    assert.equal(pages[0]!.content_length, stubMarkdown(tag).length);
    assert.equal('content' in pages[0]!, false, 'the status view does not embed page content');

    const { body: result } = await getJson<ResultBody>(`${stack.api}/${submitted.endpoints.result.split('/').slice(2).join('/')}`);
    assert.equal(result.data.task_id, submitted.task_id);
    assert.equal(result.data.status, 'completed');
    assert.equal(result.data.content, stubMarkdown(tag));
    assert.deepEqual(result.data.page_results, []);
  });
});

describe('model errors are classified once and handled by kind', () => {
  test('401 fails the task at once with a message about the key', async () => {
    const { task, result } = await runTagged(300, [{ kind: 'status', status: 401, message: 'Incorrect API key provided' }]);
    assert.equal(task.status, 'failed');
    assert.equal(task.error_code, 'auth');
    assert.match(task.error_message ?? '', /OPENAI_API_KEY/);
    assert.equal(result.content, '');
    assert.equal(stack.stub.callsFor(300).length, 1, 'a permanent error is not retried');
  });

  test('404 (unknown model) fails fast naming MODEL', async () => {
    const { task } = await runTagged(301, [{ kind: 'status', status: 404, message: 'The model does not exist' }]);
    assert.equal(task.status, 'failed');
    assert.equal(task.error_code, 'model_not_found');
    assert.match(task.error_message ?? '', /MODEL/);
    assert.equal(stack.stub.callsFor(301).length, 1);
  });

  test('429 with Retry-After is retried and then succeeds', async () => {
    const { task, result } = await runTagged(302, [{ kind: 'status', status: 429, retryAfter: '1' }]);
    assert.equal(task.status, 'completed');
    assert.equal(result.content, stubMarkdown(302));
    assert.deepEqual(stack.stub.callsFor(302).map((c) => c.action), ['status', 'ok']);
  });

  test('5xx is retried', async () => {
    const { task } = await runTagged(303, [{ kind: 'status', status: 503 }, { kind: 'status', status: 500 }]);
    assert.equal(task.status, 'completed');
    assert.equal(stack.stub.callsFor(303).length, 3);
  });

  test('a hanging call times out (API_TIMEOUT) and is retried', async () => {
    const { task, result } = await runTagged(304, [{ kind: 'hang' }]);
    assert.equal(task.status, 'completed');
    assert.equal(result.content, stubMarkdown(304));
    assert.deepEqual(stack.stub.callsFor(304).map((c) => c.action), ['hang', 'ok']);
    const pages = task.page_results as Array<{ attempts: number }>;
    assert.equal(pages[0]!.attempts, 2);
  });

  test('an empty reply and a reply cut at the length limit are retried', async () => {
    const { task, result } = await runTagged(305, [{ kind: 'empty' }, { kind: 'length' }]);
    assert.equal(task.status, 'completed');
    assert.equal(result.content, stubMarkdown(305));
    assert.deepEqual(stack.stub.callsFor(305).map((c) => c.action), ['empty', 'length', 'ok']);
  });

  test('a page that exhausts its retries is stored as failed, never as content', async () => {
    const failing: StubAction = { kind: 'status', status: 500, message: 'upstream exploded' };
    const { task, result } = await runTagged(306, [failing, failing, failing, failing, failing, failing]);
    assert.equal(task.status, 'failed');
    assert.equal(task.error_code, 'server_error');
    assert.match(task.error_message ?? '', /upstream exploded/);
    assert.equal(result.content, '');
    const pages = task.page_results as Array<{ status: string; content_length: number; attempts: number }>;
    assert.equal(pages[0]!.status, 'failed');
    assert.equal(pages[0]!.content_length, 0);
    // MAX_RETRIES=3 page attempts; the batch itself is not retried for a recorded page failure.
    assert.equal(stack.stub.callsFor(306).length, 3);
  });
});

describe('bad uploads get a clear 4xx and change nothing', () => {
  const countTasks = async () => Number((await stack.pool.query<{ count: string }>('select count(*) from tasks')).rows[0]!.count);

  const cases: Array<{ name: string; send: () => Promise<Response>; status: number; code: string; detail?: RegExp }> = [
    {
      name: 'empty file',
      send: () => fetch(`${stack.api}/api/async/image`, { method: 'POST', body: form(Buffer.alloc(0), 'empty.png') }),
      status: 400, code: 'empty_file', detail: /文件内容为空/,
    },
    {
      name: 'file over MAX_IMAGE_SIZE_MB',
      send: async () => fetch(`${stack.api}/api/async/image`, { method: 'POST', body: form(Buffer.concat([await taggedImage(1), Buffer.alloc(1_200_000)]), 'big.png') }),
      status: 400, code: 'file_too_large', detail: /文件过大，最大支持1MB/,
    },
    {
      name: 'text named .png',
      send: () => fetch(`${stack.api}/api/async/image`, { method: 'POST', body: form(Buffer.from('hello, not an image'), 'fake.png') }),
      status: 400, code: 'unsupported_file_type', detail: /不支持的文件类型，请上传图片文件/,
    },
    {
      name: 'a PDF on the image route',
      send: () => fetch(`${stack.api}/api/async/image`, { method: 'POST', body: form(Buffer.from('%PDF-1.4\n%%EOF\n'), 'doc.png') }),
      status: 400, code: 'unsupported_file_type',
    },
    {
      name: 'no file field',
      send: async () => fetch(`${stack.api}/api/async/image`, { method: 'POST', body: form(await taggedImage(2), 'a.png', 'image') }),
      status: 400, code: 'missing_file', detail: /未收到文件/,
    },
    {
      name: 'JSON instead of multipart',
      send: () => fetch(`${stack.api}/api/async/image`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' }),
      status: 400, code: 'invalid_multipart',
    },
    {
      name: 'broken multipart body',
      send: () => fetch(`${stack.api}/api/async/image`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc' }),
      status: 400, code: 'invalid_multipart',
    },
    {
      name: 'wrong password',
      send: async () => fetch(`${stack.origin}/wrong-pw/api/async/image`, { method: 'POST', body: form(await taggedImage(3), 'a.png') }),
      status: 404, code: 'not_found',
    },
    {
      name: 'no password at all',
      send: async () => fetch(`${stack.origin}/api/async/image`, { method: 'POST', body: form(await taggedImage(3), 'a.png') }),
      status: 404, code: 'not_found',
    },
    { name: 'unknown task', send: () => fetch(`${stack.api}/api/tasks/6f1c2d4e-0000-4000-8000-000000000000`), status: 404, code: 'task_not_found', detail: /任务不存在/ },
    { name: 'malformed task id', send: () => fetch(`${stack.api}/api/tasks/..%2F..%2Fetc`), status: 404, code: 'task_not_found' },
    { name: 'unknown route', send: () => fetch(`${stack.api}/api/nothing-here`), status: 404, code: 'not_found' },
    { name: 'wrong method', send: () => fetch(`${stack.api}/api/async/image`, { method: 'GET' }), status: 405, code: 'method_not_allowed' },
  ];

  function form(bytes: Buffer, fileName: string, field = 'file'): FormData {
    const data = new FormData();
    data.append(field, new Blob([new Uint8Array(bytes)]), fileName);
    return data;
  }

  for (const c of cases) {
    test(c.name, async () => {
      const before = await countTasks();
      const res = await c.send();
      const body = (await res.json()) as { detail: string; code: string };
      assert.equal(res.status, c.status, JSON.stringify(body));
      assert.equal(body.code, c.code);
      assert.equal(typeof body.detail, 'string');
      if (c.detail) assert.match(body.detail, c.detail);
      assert.equal(await countTasks(), before);
    });
  }

  test('a file name with a path and HTML is reduced to its last component and kept as plain text', async () => {
    const name = '../../etc/<img src=x onerror=alert(1)>.png';
    const { status, body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(400), name);
    assert.equal(status, 200);
    const task = await waitForTask(stack, String(body.task_id));
    assert.equal(task.file_name, '<img src=x onerror=alert(1)>.png');
  });

  test('the service is still healthy afterwards', async () => {
    const { status, body } = await getJson<{ status: string; checks: Record<string, string> }>(`${stack.origin}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.deepEqual(body.checks, { database: 'ok', temporal: 'ok' });
  });
});
