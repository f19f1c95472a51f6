/** Contract tests for the query, export and alias routes, and Bearer auth. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pngClaiming, taggedImage } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
/** A finished 3-page PDF whose page 2 failed: partial. */
let partialId: string;
/** Finished image tasks, oldest first. */
const imageIds: string[] = [];

before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '2', MAX_RETRIES: '2', MAX_IMAGE_SIZE_MB: '1', MAX_PDF_SIZE_MB: '2', MAX_PDF_PAGES: '5' } });
  for (const tag of [1, 2, 3]) {
    const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), `img-${tag}.png`);
    imageIds.push(String(body.task_id));
    await waitForTask(stack, String(body.task_id));
  }
  const failing: StubAction = { kind: 'status', status: 500, message: 'model down' };
  stack.stub.script([failing, failing], 12);
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf([11, 12, 13]), 'three.pdf');
  partialId = String(body.task_id);
  assert.equal((await waitForTask(stack, partialId)).status, 'partial');
});
after(() => stack?.stop());

const api = (path: string) => `${stack.api}${path}`;

describe('GET /api/tasks', () => {
  interface ListBody { status: string; data: Array<{ id: string; status: string; page_results?: unknown }>; pagination: { limit: number; offset: number; total: number } }

  test('newest first, with paging and a total', async () => {
    const { status, body } = await getJson<ListBody>(api('/api/tasks?limit=2'));
    assert.equal(status, 200);
    assert.equal(body.status, 'success');
    assert.deepEqual(body.data.map((t) => t.id), [partialId, imageIds[2]]);
    assert.deepEqual(body.pagination, { limit: 2, offset: 0, total: 4 });
    assert.equal(body.data[0]!.page_results, undefined, 'lists carry no pages');
    const next = await getJson<ListBody>(api('/api/tasks?limit=2&offset=2'));
    assert.deepEqual(next.body.data.map((t) => t.id), [imageIds[1], imageIds[0]]);
  });

  test('status filter', async () => {
    const { body } = await getJson<ListBody>(api('/api/tasks?status=partial'));
    assert.deepEqual(body.data.map((t) => t.id), [partialId]);
    const completed = await getJson<ListBody>(api('/api/tasks?status=completed'));
    assert.equal(completed.body.pagination.total, 3);
  });

  for (const [query, pattern] of [['status=done', /status must be one of/], ['limit=0', /limit must be at least 1/], ['limit=abc', /limit must be a number/], ['offset=-1', /offset must not be negative/], ['limit=5000', /at most 1000/]] as const) {
    test(`?${query} is a 400`, async () => {
      const { status, body } = await getJson<{ code: string; detail: string }>(api(`/api/tasks?${query}`));
      assert.equal(status, 400);
      assert.equal(body.code, 'invalid_query');
      assert.match(body.detail, pattern);
    });
  }
});

describe('pages, progress and batches', () => {
  test('GET /api/tasks/{id}/pages lists every finished page with content and statistics', async () => {
    const { body } = await getJson<{ data: { task_id: string; total_pages: number; pages: Array<{ page_number: number; status: string; content: string | null }>; page_statistics: Record<string, number> } }>(api(`/api/tasks/${partialId}/pages`));
    assert.equal(body.data.total_pages, 3);
    assert.deepEqual(body.data.pages.map((p) => [p.page_number, p.status, p.content]), [[1, 'completed', stubMarkdown(11)], [2, 'failed', null], [3, 'completed', stubMarkdown(13)]]);
    const stats = body.data.page_statistics;
    assert.deepEqual([stats.total_pages, stats.completed_pages, stats.failed_pages, stats.pending_pages], [3, 2, 1, 0]);
    assert.equal(stats.success_rate, 66.7);
    assert.equal(stats.total_content_length, stubMarkdown(11).length + stubMarkdown(13).length);
  });

  test('GET /api/tasks/{id}/pages/{n} and its errors', async () => {
    const { status, body } = await getJson<{ data: { page_number: number; page_result: { content: string } } }>(api(`/api/tasks/${partialId}/pages/3`));
    assert.equal(status, 200);
    assert.equal(body.data.page_result.content, stubMarkdown(13));
    const failed = await getJson<{ data: { page_result: { status: string; error_class: string; error_message: string } } }>(api(`/api/tasks/${partialId}/pages/2`));
    assert.equal(failed.body.data.page_result.status, 'failed');
    assert.equal(failed.body.data.page_result.error_class, 'server_error');
    for (const [n, code, expected] of [['0', 'invalid_page_number', 400], ['abc', 'invalid_page_number', 400], ['4', 'page_out_of_range', 404]] as const) {
      const res = await getJson<{ code: string }>(api(`/api/tasks/${partialId}/pages/${n}`));
      assert.deepEqual([res.status, res.body.code], [expected, code], `page ${n}`);
    }
  });

  test('GET /api/tasks/{id}/progress has real figures', async () => {
    const { body } = await getJson<{ data: { task_info: { id: string }; detailed_progress: Record<string, number | null>; latest_progress: unknown; batches: unknown[] } }>(api(`/api/tasks/${partialId}/progress`));
    const p = body.data.detailed_progress;
    assert.equal(body.data.task_info.id, partialId);
    assert.deepEqual([p.total_pages, p.processed_pages, p.failed_pages, p.progress_percentage, p.estimated_time_remaining], [3, 2, 1, 100, 0]);
    assert.ok(Number(p.processing_rate) > 0, 'pages per minute');
    assert.notEqual(body.data.latest_progress, null, 'unlike the old service, latest_progress is filled');
    assert.equal(body.data.batches.length, 2);
  });

  test('GET /api/tasks/{id}/batches follows BATCH_SIZE', async () => {
    const { body } = await getJson<{ data: { total_batches: number; batches: Array<{ id: string; status: string; page_start: number; page_end: number; processed_pages: number; failed_pages: number }> } }>(api(`/api/tasks/${partialId}/batches`));
    assert.equal(body.data.total_batches, 2);
    assert.deepEqual(body.data.batches.map((b) => [b.id, b.status, b.page_start, b.page_end, b.processed_pages, b.failed_pages]), [
      [`${partialId}_batch_001`, 'partial', 1, 2, 1, 1],
      [`${partialId}_batch_002`, 'completed', 3, 3, 1, 0],
    ]);
  });
});

describe('POST /api/tasks/batch/status', () => {
  const post = (body: string, type = 'application/json') => fetch(api('/api/tasks/batch/status'), { method: 'POST', headers: { 'content-type': type }, body });

  test('known, unknown and malformed ids, with a summary', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await post(JSON.stringify({ task_ids: [imageIds[0], partialId, unknown, 'not-an-id', '------------------------------------'] }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { tasks: Array<{ task_id: string; status: string; progress?: number }>; summary: { total_tasks: number; status_counts: Record<string, number> } };
    assert.deepEqual(body.tasks.map((t) => [t.task_id, t.status]), [[imageIds[0], 'completed'], [partialId, 'partial'], [unknown, 'not_found'], ['not-an-id', 'not_found'], ['------------------------------------', 'not_found']]);
    assert.equal(body.tasks[0]!.progress, 100);
    assert.deepEqual(body.summary, { total_tasks: 5, status_counts: { completed: 1, partial: 1, not_found: 3 } });
  });

  for (const [name, body, type, code] of [
    ['no ids', '{"task_ids": []}', 'application/json', 'missing_task_ids'],
    ['no body', '', 'application/json', 'missing_task_ids'],
    ['ids not a list', '{"task_ids": "abc"}', 'application/json', 'missing_task_ids'],
    ['51 ids', JSON.stringify({ task_ids: Array.from({ length: 51 }, () => '00000000-0000-4000-8000-000000000000') }), 'application/json', 'too_many_task_ids'],
    ['malformed JSON', '{"task_ids": [', 'application/json', 'invalid_json'],
  ] as const) {
    test(`${name} is a 400`, async () => {
      const res = await post(body, type);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { code: string }).code, code);
    });
  }
});

describe('export', () => {
  test('md, txt and json of a completed task, with the old service\'s headers', async () => {
    const id = imageIds[0]!;
    const md = await fetch(api(`/api/tasks/${id}/export?format=md`));
    assert.equal(md.headers.get('content-type'), 'text/markdown; charset=utf-8');
    assert.equal(md.headers.get('content-disposition'), `attachment; filename=task_${id}_result.md`);
    assert.equal(await md.text(), `# Task ${id} Result\n\n${stubMarkdown(1)}`);
    const txt = await fetch(api(`/api/tasks/${id}/export?format=txt`));
    assert.equal(txt.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await txt.text(), stubMarkdown(1));
    const json = await fetch(api(`/api/tasks/${id}/export?format=json`));
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    const text = await json.text();
    assert.match(text, /\n {2}"task_id"/, 'pretty-printed');
    const body = JSON.parse(text) as { task_id: string; export_time: string; content: string; task_info: { status: string } };
    assert.deepEqual([body.task_id, body.content, body.task_info.status], [id, stubMarkdown(1), 'completed']);
  });

  test('a partial task exports what succeeded and names the failed pages', async () => {
    const md = await (await fetch(api(`/api/tasks/${partialId}/export?format=md`))).text();
    assert.ok(md.includes(stubMarkdown(11)) && md.includes(stubMarkdown(13)));
    assert.match(md, /pages that could not be recognised: 2/);
    const json = (await (await fetch(api(`/api/tasks/${partialId}/export?format=json`))).json()) as { failed_pages: Array<{ page_number: number }> };
    assert.deepEqual(json.failed_pages.map((p) => p.page_number), [2]);
  });

  test('errors: unknown format, unfinished task, unknown task', async () => {
    const bad = await getJson<{ code: string; detail: string }>(api(`/api/tasks/${imageIds[0]}/export?format=docx`));
    assert.deepEqual([bad.status, bad.body.code, bad.body.detail], [400, 'unsupported_format', '不支持的导出格式，支持: json, txt, md, html, pdf']);
    stack.stub.script([{ kind: 'ok', delayMs: 5000 }], 50);
    const { body } = await postFile(api('/api/async/image'), await taggedImage(50), 'slow.png');
    const running = await getJson<{ code: string; detail: string }>(api(`/api/tasks/${String(body.task_id)}/export?format=md`));
    assert.deepEqual([running.status, running.body.code, running.body.detail], [400, 'task_not_finished', '任务未完成，无法导出']);
    const missing = await getJson<{ code: string }>(api('/api/tasks/00000000-0000-4000-8000-000000000000/export'));
    assert.deepEqual([missing.status, missing.body.code], [404, 'task_not_found']);
  });
});

describe("the old service's older submit routes", () => {
  test('POST /process/image answers "accepted" with URLs that carry the prefix', async () => {
    const { status, body } = await postFile(api('/process/image'), await taggedImage(60), 'a.png');
    assert.equal(status, 200);
    const id = String(body.task_id);
    assert.deepEqual(body, {
      status: 'accepted', task_id: id, message: '任务已提交，正在后台处理', estimated_time: 30,
      websocket_url: `/test-pw/ws?client_id=sync_${id}`, status_url: `/test-pw/api/tasks/${id}`, result_url: `/test-pw/api/tasks/${id}/result`,
    });
    assert.equal((await waitForTask(stack, id)).status, 'completed');
  });

  test('POST /process/pdf adds pages and size', async () => {
    const { body } = await postFile(api('/process/pdf'), makePdf([61, 62]), 'b.pdf');
    assert.equal(body.status, 'accepted');
    assert.equal(body.total_pages, 2);
    assert.equal(body.estimated_time, 6);
    assert.equal((await waitForTask(stack, String(body.task_id))).status, 'completed');
  });

  test('POST /api/tasks/image and /api/tasks/pdf answer "success"; their bad input is a 400, not the old service\'s 500', async () => {
    const image = await postFile(api('/api/tasks/image'), await taggedImage(63), 'c.png');
    assert.deepEqual([image.status, image.body.status, image.body.message], [200, 'success', '任务提交成功']);
    const pdf = await postFile(api('/api/tasks/pdf'), makePdf([64]), 'd.pdf');
    assert.deepEqual([pdf.status, pdf.body.status], [200, 'success']);
    const empty = await postFile(api('/api/tasks/image'), Buffer.alloc(0), 'e.png');
    assert.deepEqual([empty.status, empty.body.code], [400, 'empty_file']);
    const corrupt = await postFile(api('/api/tasks/pdf'), Buffer.from('%PDF-1.7\ngarbage'), 'f.pdf');
    assert.deepEqual([corrupt.status, corrupt.body.code], [400, 'pdf_corrupt']);
  });
});

describe('Authorization: Bearer on unprefixed /api routes', () => {
  test('the right password opens them, a wrong or missing one is a 404', async () => {
    const url = `${stack.origin}/api/tasks/${imageIds[0]}`;
    const ok = await fetch(url, { headers: { authorization: 'Bearer test-pw' } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { data: { id: string } }).data.id, imageIds[0]);
    const wrong = await fetch(url, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 404);
    assert.equal((await fetch(url)).status, 404);
    // Submit answers then carry no prefix, since the client used none.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await taggedImage(70))]), 'g.png');
    const submitted = (await (await fetch(`${stack.origin}/api/async/image`, { method: 'POST', body: form, headers: { authorization: 'Bearer test-pw' } })).json()) as { task_id: string; endpoints: { status: string } };
    assert.equal(submitted.endpoints.status, `/api/tasks/${submitted.task_id}`);
  });
});

describe('POST /api/async/batch', () => {
  async function postBatch(files: Array<[Buffer, string]>, field = 'files'): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new FormData();
    for (const [bytes, name] of files) form.append(field, new Blob([new Uint8Array(bytes)]), name);
    const res = await fetch(api('/api/async/batch'), { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const countTasks = async () => (await stack.pool.query<{ n: number }>('select count(*)::int as n from tasks')).rows[0]!.n;

  test('each file is routed by its bytes; the bad ones are listed with the old service\'s messages, the rest run', async () => {
    const { status, body } = await postBatch([
      [await taggedImage(80), 'photo.png'],
      [makePdf([81, 82]), 'paper.pdf'],
      [Buffer.from('just text'), 'notes.doc'],
      [Buffer.concat([await taggedImage(83), Buffer.alloc(1_200_000)]), 'huge.png'],
      [makePdf([84], { save: 'encrypt=aes-256,user-password=u,owner-password=o' }), 'locked.pdf'],
      [makePdf([1, 2, 3, 4, 5, 6]), 'long.pdf'],
      [pngClaiming(70_000, 70_000), 'claims.png'],
    ]);
    assert.equal(status, 200);
    assert.equal(body.message, '批量任务提交完成，成功: 2, 失败: 5');
    const submitted = body.submitted_tasks as Array<{ task_id: string; filename: string; type: string; total_pages?: number; estimated_time: number }>;
    assert.deepEqual(submitted.map((t) => [t.filename, t.type, t.total_pages, t.estimated_time]), [['photo.png', 'image', undefined, 30], ['paper.pdf', 'pdf', 2, 6]]);
    const failed = body.failed_files as Array<{ filename: string; error: string; code: string }>;
    assert.deepEqual(failed.map((f) => [f.filename, f.code]),
      [['notes.doc', 'unsupported_file_type'], ['huge.png', 'file_too_large'], ['locked.pdf', 'pdf_encrypted'], ['long.pdf', 'pdf_too_many_pages'], ['claims.png', 'image_too_large']]);
    assert.match(failed[4]!.error, /70000 × 70000 pixels/);
    assert.equal(failed[0]!.error, '不支持的文件类型');
    assert.equal(failed[1]!.error, '图片文件过大(最大1MB)');
    assert.match(failed[2]!.error, /^PDF文件格式错误: /);
    assert.equal(failed[3]!.error, 'PDF页数过多(最大5页)');
    assert.deepEqual([body.total_tasks, body.total_estimated_time], [2, 36]);
    assert.deepEqual(body.endpoints, { batch_status: '/test-pw/api/tasks/batch/status', websocket: '/test-pw/ws' });
    for (const t of submitted) assert.equal((await waitForTask(stack, t.task_id)).status, 'completed');
  });

  test('more than 20 files is a 400 and stores nothing', async () => {
    const before = await countTasks();
    const image = await taggedImage(90);
    const { status, body } = await postBatch(Array.from({ length: 21 }, (_, i) => [image, `p${i}.png`] as [Buffer, string]));
    assert.deepEqual([status, body.code, body.detail], [400, 'too_many_files', '批量上传最多支持20个文件']);
    assert.equal(await countTasks(), before);
  });

  test('no files is a 400', async () => {
    const { status, body } = await postBatch([[await taggedImage(91), 'a.png']], 'file');
    assert.deepEqual([status, body.code], [400, 'missing_file']);
    assert.match(String(body.detail), /未收到文件/);
  });
});
