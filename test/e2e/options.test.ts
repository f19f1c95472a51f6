/**
 * Per-task options beside the file (or as query parameters): model from MODELS, extra instructions,
 * dpi and image format reach the model stub; they are kept with the task, answered as `options`,
 * used by its retry, and part of what an Idempotency-Key compares. Bad values are a 400 naming the option.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', MODELS: 'stub-model, other-model', MAX_RETRIES: '1' } });
});
after(() => stack?.stop());

async function submit(route: string, bytes: Buffer, name: string, fields: Record<string, string> = {}, { query = '', key }: { query?: string; key?: string } = {}) {
  const form = new FormData();
  for (const [field, value] of Object.entries(fields)) form.append(field, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${stack.api}${route}${query}`, { method: 'POST', body: form, headers: key ? { 'Idempotency-Key': key } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface TaskAnswer { data: { options: Record<string, unknown>; status: string } }

test('model, prompt, dpi and image_format reach the model, are kept with the task and answered as options', async () => {
  const options = { model: 'other-model', prompt: 'Write tables as HTML.\r\nThe document is in Japanese.', dpi: '100', image_format: 'jpeg' };
  const { status, body } = await submit('/api/async/pdf', makePdf([701]), 'options.pdf', options);
  assert.equal(status, 200, JSON.stringify(body));
  const taskId = String(body.task_id);
  assert.equal((await waitForTask(stack, taskId)).status, 'completed');
  const [call, ...more] = stack.stub.callsFor(701);
  assert.equal(more.length, 0);
  assert.equal(call!.model, 'other-model');
  assert.match(call!.systemPrompt, /^You transcribe document images into Markdown/, 'the rules stay');
  assert.ok(call!.systemPrompt.endsWith(options.prompt), 'the instructions come after them');
  assert.equal(call!.mimeType, 'image/jpeg');
  assert.deepEqual(call!.size, { width: 827, height: 1170 }, 'A4 at 100 DPI');
  const expected = { model: 'other-model', prompt: options.prompt, dpi: 100, image_format: 'jpeg' };
  const { body: task } = await getJson<TaskAnswer>(`${stack.api}/api/tasks/${taskId}`);
  assert.deepEqual(task.data.options, expected);
  const { body: result } = await getJson<TaskAnswer>(`${stack.api}/api/tasks/${taskId}/result`);
  assert.deepEqual(result.data.options, expected);
  const { rows: [row] } = await stack.pool.query<{ model: string }>('select model from tasks where id = $1', [taskId]);
  assert.equal(row!.model, 'other-model', 'the task is priced as the model it ran with');
});

test('without options the service settings apply; query parameters work as fields do', async () => {
  const plain = await submit('/api/async/pdf', makePdf([711]), 'plain.pdf');
  await waitForTask(stack, String(plain.body.task_id));
  const [call] = stack.stub.callsFor(711);
  assert.equal(call!.model, 'stub-model');
  assert.doesNotMatch(call!.systemPrompt, /Instructions for this document/);
  assert.deepEqual(call!.size, { width: 595, height: 842 }, 'PDF_DPI 72');
  const { body: task } = await getJson<TaskAnswer>(`${stack.api}/api/tasks/${String(plain.body.task_id)}`);
  assert.deepEqual(task.data.options, {});

  const queried = await submit('/process/image', await taggedImage(712), 'q.png', { prompt: '' }, { query: '?model=other-model&prompt=Say+hello' });
  assert.equal(queried.status, 200, JSON.stringify(queried.body));
  await waitForTask(stack, String(queried.body.task_id));
  const [imageCall] = stack.stub.callsFor(712);
  assert.equal(imageCall!.model, 'other-model');
  assert.ok(imageCall!.systemPrompt.endsWith('Say hello'), 'an empty field leaves the parameter');
});

test('a retry runs the failed pages with the options the task was submitted with', async () => {
  stack.stub.script([{ kind: 'status', status: 502, message: 'bad gateway' }], 722);
  const { body } = await submit('/api/async/pdf', makePdf([721, 722]), 'retry.pdf', { model: 'other-model', dpi: '90' });
  const taskId = String(body.task_id);
  assert.equal((await waitForTask(stack, taskId)).status, 'partial');
  const res = await fetch(`${stack.api}/api/tasks/${taskId}/retry`, { method: 'POST' });
  assert.equal(res.status, 202);
  assert.equal((await waitForTask(stack, taskId)).status, 'completed');
  const calls = stack.stub.callsFor(722);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => [c.model, c.size?.width]), [['other-model', 744], ['other-model', 744]]);
});

test('bad options are a 400 naming the option and the rule, and make no task', async () => {
  const countTasks = async () => (await stack.pool.query<{ n: number }>('select count(*)::int as n from tasks')).rows[0]!.n;
  const before = await countTasks();
  const pdf = makePdf([731]);
  const cases: [Record<string, string>, RegExp][] = [
    [{ model: 'gpt-5' }, /^Option "model": expected one of stub-model, other-model$/],
    [{ dpi: '50' }, /^Option "dpi": expected 72 to 400$/],
    [{ dpi: '401' }, /^Option "dpi": expected 72 to 400$/],
    [{ dpi: 'high' }, /^Option "dpi": expected a number$/],
    [{ dpi: '150.5' }, /^Option "dpi": expected a whole number$/],
    [{ image_format: 'gif' }, /^Option "image_format": expected one of auto, png, jpeg, webp$/],
    [{ prompt: 'x'.repeat(2001) }, /^Option "prompt": expected at most 2000 characters$/],
    [{ prompt: 'bell \u0007' }, /^Option "prompt": expected plain text/],
    [{ disable_cache: 'maybe' }, /^Option "disable_cache": expected true or false$/],
    [{ pages: '3-' }, /^Option "pages": expected page ranges such as 1-3,5,10-12 \("3-" is not one\)$/],
    [{ pages: '5-3' }, /^Option "pages": expected ranges from low to high \("5-3"\)$/],
    [{ pages: '0-2' }, /^Option "pages": expected pages from 1$/],
    [{ pages: '1,,2' }, /^Option "pages": expected page ranges/],
    [{ pages: '2' }, /^Option "pages": page 2 is beyond the document, which has 1 page$/],
  ];
  for (const [fields, message] of cases) {
    const { status, body } = await submit('/api/async/pdf', pdf, 'bad.pdf', fields);
    assert.equal(status, 400, JSON.stringify(fields));
    assert.equal(body.code, 'invalid_option');
    assert.match(String(body.detail), message);
  }
  // This server has no WEBHOOK_SECRET: it cannot sign, so it takes no webhook.
  const unsigned = await submit('/api/async/pdf', pdf, 'hook.pdf', { webhook_url: 'https://example.com/hook' });
  assert.equal(unsigned.status, 400);
  assert.equal(unsigned.body.code, 'webhooks_not_configured');
  assert.match(String(unsigned.body.detail), /^Option "webhook_url": this server has no WEBHOOK_SECRET/);
  const batch = new FormData();
  batch.append('dpi', '10');
  batch.append('files', new Blob([new Uint8Array(pdf)]), 'a.pdf');
  const res = await fetch(`${stack.api}/api/async/batch`, { method: 'POST', body: batch });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: string }).code, 'invalid_option');
  assert.equal(await countTasks(), before);
});

test('pages: only the pages named are read, counted and answered; a retry re-reads only theirs', async () => {
  stack.stub.script([{ kind: 'status', status: 502, message: 'bad gateway' }], 754);
  const tags = [751, 752, 753, 754, 755, 756];
  const { status, body } = await submit('/api/async/pdf', makePdf(tags), 'some-pages.pdf', { pages: '4-5, 2,5' });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.total_pages, 3, 'only the chosen pages are counted');
  const taskId = String(body.task_id);
  assert.equal((await waitForTask(stack, taskId)).status, 'partial');
  assert.deepEqual(tags.map((t) => stack.stub.callsFor(t).length), [0, 1, 0, 1, 1, 0]);
  const { body: task } = await getJson<{ data: { options: Record<string, unknown>; total_pages: number; page_results: { page_number: number }[] } }>(`${stack.api}/api/tasks/${taskId}`);
  assert.deepEqual(task.data.options, { pages: '2,4-5' }, 'stored merged and in order');
  assert.equal(task.data.total_pages, 3);
  assert.deepEqual(task.data.page_results.map((p) => p.page_number), [2, 4, 5]);
  assert.equal((await fetch(`${stack.api}/api/tasks/${taskId}/pages/3`)).status, 404, 'a page not chosen');
  const { body: batches } = await getJson<{ data: { batches: { page_start: number; page_end: number; pages_count: number }[] } }>(`${stack.api}/api/tasks/${taskId}/batches`);
  assert.deepEqual(batches.data.batches.map((b) => [b.page_start, b.page_end, b.pages_count]), [[2, 5, 3]]);

  assert.equal((await fetch(`${stack.api}/api/tasks/${taskId}/retry`, { method: 'POST' })).status, 202);
  assert.equal((await waitForTask(stack, taskId)).status, 'completed');
  assert.deepEqual(tags.map((t) => stack.stub.callsFor(t).length), [0, 1, 0, 2, 1, 0], 'only the failed page again');
  const { body: result } = await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${taskId}/result`);
  assert.equal(result.data.content, [752, 754, 755].map(stubMarkdown).join('\n\n'));
});

test('GET /api/models lists MODELS, MODEL first; an Idempotency-Key compares the options too', async () => {
  const { body } = await getJson(`${stack.api}/api/models`);
  assert.deepEqual(body, { status: 'success', default: 'stub-model', models: ['stub-model', 'other-model'] });
  const pdf = makePdf([741]);
  const first = await submit('/api/async/pdf', pdf, 'key.pdf', { dpi: '100' }, { key: 'options-key' });
  assert.equal(first.status, 200);
  const same = await submit('/api/async/pdf', pdf, 'key.pdf', { dpi: '100' }, { key: 'options-key' });
  assert.equal(same.body.idempotent_replay, true);
  const other = await submit('/api/async/pdf', pdf, 'key.pdf', { dpi: '120' }, { key: 'options-key' });
  assert.equal(other.status, 422);
  assert.equal(other.body.code, 'idempotency_key_reused');
});
