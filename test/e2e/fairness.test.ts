/** One long PDF must not hold up anyone else: other tasks progress while it runs. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack, type TaskData } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { CONCURRENCY: '2', BATCH_SIZE: '2', PDF_DPI: '72' } });
  // A fixed model latency: the long PDF needs about 15 rounds of it.
  stack.stub.latencyMs = 400;
});
after(() => stack?.stop());

async function submit(route: 'image' | 'pdf', bytes: Buffer, name: string): Promise<string> {
  const { status, body } = await postFile(`${stack.api}/api/async/${route}`, bytes, name);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.task_id);
}

const taskData = async (id: string) => (await getJson<{ data: TaskData }>(`${stack.api}/api/tasks/${id}`)).body.data;

/** Starts a 30-page PDF and waits until the model is busy with it. */
async function startLongPdf(firstTag: number): Promise<string> {
  const id = await submit('pdf', makePdf(pageTags(30, firstTag)), 'long.pdf');
  await eventually(() => Promise.resolve(stack.stub.calls.filter((c) => c.tag >= firstTag && c.tag < firstTag + 30).length >= 4 ? true : undefined), 'the long PDF to be under way');
  return id;
}

test('an image submitted during a long PDF finishes while the PDF is still running', async () => {
  const pdfId = await startLongPdf(1);
  const imageId = await submit('image', await taggedImage(900), 'quick.png');
  const image = await waitForTask(stack, imageId);
  assert.equal(image.status, 'completed');
  const pdfMeanwhile = await taskData(pdfId);
  assert.equal(pdfMeanwhile.status, 'processing');
  assert.ok(Number(pdfMeanwhile.processed_pages) < 30, `the PDF had ${String(pdfMeanwhile.processed_pages)} pages done`);
  const pdf = await waitForTask(stack, pdfId, 60_000);
  assert.equal(pdf.status, 'completed');
  assert.ok(new Date(String(image.completed_at)) < new Date(String(pdf.completed_at)));
});

test('a second PDF submitted later makes progress at the same time and finishes first', async () => {
  const longId = await startLongPdf(101);
  const shortId = await submit('pdf', makePdf(pageTags(4, 201)), 'short.pdf');
  const short = await waitForTask(stack, shortId, 60_000);
  assert.equal(short.status, 'completed');
  assert.equal((await taskData(longId)).status, 'processing');
  assert.equal((await waitForTask(stack, longId, 60_000)).status, 'completed');
});
