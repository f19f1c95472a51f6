/**
 * Page-level result reuse: a page an earlier task read with the same file, model, prompt and
 * rendering is copied (no render, no model call, no cost); anything that shapes the answer, or
 * disable_cache, makes fresh calls; failed pages are never reused; CACHE=off turns it off.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', MODELS: 'stub-model,other-model', MAX_RETRIES: '1' } });
});
after(() => stack?.stop());

async function submit(target: Stack, pdf: Buffer, fields: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  for (const [field, value] of Object.entries(fields)) form.append(field, value);
  form.append('file', new Blob([new Uint8Array(pdf)]), 'reuse.pdf');
  const res = await fetch(`${target.api}/api/async/pdf`, { method: 'POST', body: form });
  const body = (await res.json()) as { task_id: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  await waitForTask(target, body.task_id);
  return body.task_id;
}

interface Answer {
  data: {
    status: string; reused_pages: number; cache_hit: boolean; content: string;
    usage: { prompt_tokens: number; completion_tokens: number; reused_prompt_tokens: number; reused_completion_tokens: number };
    page_results: { page_number: number; reused: boolean; prompt_tokens: number | null }[];
  };
}
const result = async (target: Stack, id: string) => (await getJson<Answer>(`${target.api}/api/tasks/${id}/result`)).body.data;
const callCounts = (target: Stack, tags: number[]) => tags.map((t) => target.stub.callsFor(t).length);

test('a re-submit copies every page: no model call, no cost, the same content, the original tokens apart', async () => {
  const tags = pageTags(4, 801);
  const pdf = makePdf(tags);
  const first = await result(stack, await submit(stack, pdf));
  assert.deepEqual([first.reused_pages, first.cache_hit], [0, false]);
  const again = await result(stack, await submit(stack, pdf));
  assert.deepEqual(callCounts(stack, tags), [1, 1, 1, 1], 'no page was sent again');
  assert.equal(again.status, 'completed');
  assert.equal(again.content, first.content);
  assert.deepEqual([again.reused_pages, again.cache_hit], [4, true]);
  assert.ok(again.page_results.every((p) => p.reused && p.prompt_tokens === null));
  assert.deepEqual([again.usage.prompt_tokens, again.usage.completion_tokens], [0, 0], 'reused pages cost nothing');
  assert.deepEqual([again.usage.reused_prompt_tokens, again.usage.reused_completion_tokens], [first.usage.prompt_tokens, first.usage.completion_tokens]);
});

test('a wider range reads only the pages not read before', async () => {
  const tags = pageTags(6, 811);
  const pdf = makePdf(tags);
  await submit(stack, pdf, { pages: '1-2' });
  const wider = await result(stack, await submit(stack, pdf, { pages: '1-5' }));
  assert.deepEqual(callCounts(stack, tags), [1, 1, 1, 1, 1, 0]);
  assert.equal(wider.reused_pages, 2);
  assert.equal(wider.cache_hit, false);
  assert.deepEqual(wider.page_results.map((p) => p.reused), [true, true, false, false, false]);
  assert.equal(wider.content, tags.slice(0, 5).map(stubMarkdown).join('\n\n'));
});

test('another prompt, model, dpi or format, or disable_cache, makes fresh calls', async () => {
  const tags = [821];
  const pdf = makePdf(tags);
  await submit(stack, pdf);
  const fresh: Record<string, string>[] = [{ prompt: 'Tables as HTML.' }, { model: 'other-model' }, { dpi: '100' }, { image_format: 'jpeg' }, { disable_cache: 'true' }];
  for (const [i, fields] of fresh.entries()) {
    const answer = await result(stack, await submit(stack, pdf, fields));
    assert.equal(answer.reused_pages, 0, JSON.stringify(fields));
    assert.equal(stack.stub.callsFor(821).length, i + 2, JSON.stringify(fields));
  }
  // The same prompt again is reused, from the task that first used it.
  const same = await result(stack, await submit(stack, pdf, { prompt: 'Tables as HTML.' }));
  assert.equal(same.reused_pages, 1);
  assert.equal(stack.stub.callsFor(821).length, 6);
});

test('failed pages are never reused; deleting the task removes what could be reused', async () => {
  stack.stub.script([{ kind: 'status', status: 502, message: 'bad gateway' }], 832);
  const tags = [831, 832];
  const pdf = makePdf(tags);
  const partial = await submit(stack, pdf);
  assert.equal((await result(stack, partial)).status, 'partial');
  const again = await result(stack, await submit(stack, pdf));
  assert.deepEqual(callCounts(stack, tags), [1, 2], 'the failed page is read again, the other copied');
  assert.deepEqual([again.status, again.reused_pages], ['completed', 1]);

  const deleted = await submit(stack, makePdf([841]));
  const res = await fetch(`${stack.api}/api/tasks/${deleted}`, { method: 'DELETE' });
  assert.equal(res.status, 200);
  const after = await result(stack, await submit(stack, makePdf([841])));
  assert.equal(after.reused_pages, 0, "the deleted task's page is gone with it");
  assert.equal(stack.stub.callsFor(841).length, 2);
});

test('CACHE=off reads every page again', async () => {
  const off = await startStack({ env: { PDF_DPI: '72', CACHE: 'off' } });
  try {
    const pdf = makePdf([851]);
    await submit(off, pdf);
    const again = await result(off, await submit(off, pdf));
    assert.equal(again.reused_pages, 0);
    assert.equal(off.stub.callsFor(851).length, 2);
  } finally {
    await off.stop();
  }
});
