/** PDFs through the whole stack: batches, page checkpoints, outcomes and refused uploads. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readTag, taggedImage } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import { damagedPdf, makePdf, pageTags } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

/** The stub's answer for this tag comes back once, then a crash before the page is saved. */
const CRASH_TAG = 203;
let crashed = false;

let stack: Stack;
before(async () => {
  stack = await startStack({
    // 72 DPI keeps rendering cheap in tests; the benchmark renders at 200.
    env: { PDF_DPI: '72', BATCH_SIZE: '4', CONCURRENCY: '3', MAX_RETRIES: '3', MAX_PDF_PAGES: '30', MAX_PDF_SIZE_MB: '1' },
    wrapVision: (client) => ({
      async recognize(image, options) {
        const reply = await client.recognize(image, options);
        if (!crashed && (await readTag(image.data)) === CRASH_TAG) {
          crashed = true;
          throw new Error('simulated worker crash after the model answered');
        }
        return reply;
      },
    }),
  });
});
after(() => stack?.stop());

interface PdfSubmit { status: string; task_id: string; message: string; total_pages: number; file_size_mb: string; estimated_time: number; endpoints: Record<string, string> }
interface PageResult { page_number: number; status: string; content: string | null; error_class: string | null; error_message: string | null }
interface Result { data: { status: string; content: string; page_results: PageResult[] } }

async function submitPdf(tags: number[], name = 'doc.pdf'): Promise<PdfSubmit> {
  const { status, body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), name);
  assert.equal(status, 200, JSON.stringify(body));
  return body as unknown as PdfSubmit;
}

describe('a multi-page PDF', () => {
  test('every page is recognised from its own page and joined in order', async () => {
    const tags = pageTags(12);
    const submitted = await submitPdf(tags);
    assert.equal(submitted.status, 'success');
    assert.equal(submitted.message, 'PDF任务已提交');
    assert.equal(submitted.total_pages, 12);
    assert.match(submitted.file_size_mb, /^\d+\.\d\d$/);
    assert.equal(submitted.estimated_time, 36);

    const task = await waitForTask(stack, submitted.task_id);
    assert.equal(task.status, 'completed');
    assert.equal(task.task_type, 'pdf_ocr');
    assert.equal(task.processed_pages, 12);

    const { body } = await getJson<Result>(`${stack.api}/api/tasks/${submitted.task_id}/result`);
    assert.equal(body.data.content, tags.map(stubMarkdown).join('\n\n'));
    assert.deepEqual(body.data.page_results.map((p) => [p.page_number, p.status, p.content]), tags.map((t) => [t, 'completed', stubMarkdown(t)]));
    for (const tag of tags) {
      const calls = stack.stub.callsFor(tag);
      assert.equal(calls.length, 1, `page ${tag} sent once`);
      assert.equal(calls[0]!.mimeType, 'image/png');
    }
  });

  test('a page that keeps failing leaves the task partial, with the other pages intact', async () => {
    const tags = pageTags(6, 101);
    const failing: StubAction = { kind: 'status', status: 502, message: 'bad gateway' };
    stack.stub.script([failing, failing, failing], 103);
    const { task_id } = await submitPdf(tags);
    const task = await waitForTask(stack, task_id);
    assert.equal(task.status, 'partial');
    assert.equal(task.processed_pages, 5);
    assert.equal(task.failed_pages, 1);
    assert.match(task.error_message ?? '', /1 of 6 pages failed.*bad gateway/);
    const { body } = await getJson<Result>(`${stack.api}/api/tasks/${task_id}/result`);
    assert.equal(body.data.content, tags.filter((t) => t !== 103).map(stubMarkdown).join('\n\n'));
    const failed = body.data.page_results.find((p) => p.page_number === 3)!;
    assert.deepEqual([failed.status, failed.content, failed.error_class], ['failed', null, 'server_error']);
    assert.equal(stack.stub.callsFor(103).length, 3);
  });

  test('a batch that fails after some pages are stored is retried without re-sending them', async () => {
    const tags = pageTags(8, 201);
    const { task_id } = await submitPdf(tags);
    const task = await waitForTask(stack, task_id);
    assert.ok(crashed, 'the crash was injected');
    assert.equal(task.status, 'completed');
    for (const tag of tags) {
      // The crashed page is the only one the model sees twice: its answer never reached Postgres.
      assert.equal(stack.stub.callsFor(tag).length, tag === CRASH_TAG ? 2 : 1, `calls for page tag ${tag}`);
    }
    const { rows } = await stack.pool.query<{ n: number }>('select count(*)::int as n from pages where task_id = $1', [task_id]);
    assert.equal(rows[0]!.n, 8);
  });
});

describe('PDFs that cannot be processed are refused with a clear 4xx', () => {
  const countTasks = async () => (await stack.pool.query<{ n: number }>('select count(*)::int as n from tasks')).rows[0]!.n;
  const cases: Array<{ name: string; file: () => Promise<Buffer> | Buffer; code: string; detail: RegExp }> = [
    { name: 'truncated to its first bytes', file: () => makePdf(pageTags(5)).subarray(0, 120), code: 'pdf_corrupt', detail: /PDF文件格式错误或损坏/ },
    { name: 'password-protected', file: () => makePdf(pageTags(2), { save: 'encrypt=aes-256,user-password=secret,owner-password=owner' }), code: 'pdf_encrypted', detail: /remove the password/ },
    { name: 'zero pages', file: () => makePdf([]), code: 'pdf_no_pages', detail: /没有页面/ },
    { name: 'not a PDF but named .pdf', file: () => Buffer.from('Just some text pretending to be a PDF.\n'), code: 'unsupported_file_type', detail: /不支持的文件类型，请上传PDF文件/ },
    { name: 'an image named .pdf', file: () => taggedImage(1), code: 'unsupported_file_type', detail: /请上传PDF文件/ },
    { name: 'over MAX_PDF_PAGES', file: () => makePdf(pageTags(31)), code: 'pdf_too_many_pages', detail: /PDF页数过多，最大支持30页/ },
    { name: 'over MAX_PDF_SIZE_MB', file: () => Buffer.concat([makePdf(pageTags(1)), Buffer.alloc(1_100_000, 32)]), code: 'file_too_large', detail: /文件过大，最大支持1MB/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = await countTasks();
      const { status, body } = await postFile(`${stack.api}/api/async/pdf`, await c.file(), 'upload.pdf');
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.code, c.code);
      assert.match(String(body.detail), c.detail);
      assert.equal(await countTasks(), before);
    });
  }

  test('a PDF after a few bytes of something else (its header within the first 1,024) is read as a PDF', async () => {
    const tags = pageTags(2, 311);
    const { status, body } = await postFile(`${stack.api}/api/async/pdf`, Buffer.concat([Buffer.from('From a mail archive\r\n\r\n'), makePdf(tags)]), 'prefixed.pdf');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.total_pages, 2);
    assert.equal((await waitForTask(stack, String(body.task_id))).status, 'completed');
    const { body: result } = await getJson<Result>(`${stack.api}/api/tasks/${String(body.task_id)}/result`);
    assert.equal(result.data.content, tags.map(stubMarkdown).join('\n\n'));
  });

  test('a damaged PDF that mupdf can rebuild is accepted, with the task warning pdf_repaired', async () => {
    const tags = pageTags(2, 321);
    const { status, body } = await postFile(`${stack.api}/api/async/pdf`, damagedPdf(tags), 'damaged.pdf');
    assert.equal(status, 200, JSON.stringify(body));
    const task = await waitForTask(stack, String(body.task_id));
    assert.deepEqual([task.status, task.warnings], ['completed', ['pdf_repaired']]);
    const { body: result } = await getJson<Result & { data: { warnings: string[] } }>(`${stack.api}/api/tasks/${String(body.task_id)}/result`);
    assert.deepEqual([result.data.content, result.data.warnings], [tags.map(stubMarkdown).join('\n\n'), ['pdf_repaired']]);
    const { task_id } = await submitPdf(pageTags(1, 325));
    assert.deepEqual((await waitForTask(stack, task_id)).warnings, [], 'an intact PDF has no warning');
  });

  test('the server keeps serving after all of them', async () => {
    const { task_id } = await submitPdf(pageTags(2, 301));
    assert.equal((await waitForTask(stack, task_id)).status, 'completed');
    assert.equal((await getJson(`${stack.origin}/health`)).status, 200);
  });
});
