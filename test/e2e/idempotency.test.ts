/**
 * Idempotency-Key on the submit routes: a repeat answers with the first task (never a second, even
 * when both arrive at once), another request under the same key is a 422, a refused first request
 * leaves the key free, and deleting the task frees its key.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { makePdf } from '../helpers/pdfs.js';
import { fileForm, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72' } });
});
after(() => stack?.stop());

async function submit(route: string, bytes: Buffer, name: string, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.api}${route}`, { method: 'POST', body: fileForm(bytes, name), headers: key ? { 'Idempotency-Key': key } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const tasksNamed = async (name: string) =>
  (await stack.pool.query<{ id: string }>('select id from tasks where file_name = $1', [name])).rows.map((r) => r.id);

test('a repeat with the same key answers with the first task, on every submit route', async () => {
  const pdf = makePdf([601, 602]);
  const first = await submit('/api/async/pdf', pdf, 'repeat.pdf', 'retry-1');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.idempotent_replay, undefined, 'a first answer is as it always was');
  await waitForTask(stack, String(first.body.task_id));
  const again = await submit('/api/async/pdf', pdf, 'repeat.pdf', 'retry-1');
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { ...first.body, idempotent_replay: true });
  assert.deepEqual(await tasksNamed('repeat.pdf'), [first.body.task_id]);
  assert.equal(stack.stub.callsFor(601).length, 1, 'the page was read once');

  // The old service's routes answer their own shapes, replayed the same way.
  const png = await taggedImage(603);
  for (const route of ['/process/image', '/api/tasks/image']) {
    const key = `key${route.replaceAll('/', '-')}`;
    const one = await submit(route, png, `${key}.png`, key);
    const two = await submit(route, png, `${key}.png`, key);
    assert.equal(two.status, 200);
    assert.deepEqual(two.body, { ...one.body, idempotent_replay: true }, route);
    assert.deepEqual(await tasksNamed(`${key}.png`), [one.body.task_id]);
  }
  // Without a key, the same file is a new task each time.
  const [a, b] = [await submit('/api/async/image', png, 'nokey.png'), await submit('/api/async/image', png, 'nokey.png')];
  assert.notEqual(a.body.task_id, b.body.task_id);
});

test('two submits racing with one key make one task', async () => {
  const pdf = makePdf([611, 612, 613]);
  const answers = await Promise.all(Array.from({ length: 4 }, () => submit('/api/async/pdf', pdf, 'race.pdf', 'race-key')));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200], JSON.stringify(answers.map((a) => a.body)));
  const ids = new Set(answers.map((a) => a.body.task_id));
  assert.equal(ids.size, 1, 'every answer names the same task');
  assert.equal(answers.filter((a) => a.body.idempotent_replay === true).length, 3, 'one made it, three replayed it');
  assert.deepEqual(await tasksNamed('race.pdf'), [...ids]);
});

test('the same key for another file or route is a 422, and a refused request leaves the key free', async () => {
  const first = await submit('/api/async/pdf', makePdf([621]), 'owner.pdf', 'shared-key');
  assert.equal(first.status, 200);
  const otherFile = await submit('/api/async/pdf', makePdf([622]), 'owner.pdf', 'shared-key');
  assert.equal(otherFile.status, 422);
  assert.equal(otherFile.body.code, 'idempotency_key_reused');
  const otherRoute = await submit('/api/async/image', await taggedImage(623), 'other.png', 'shared-key');
  assert.equal(otherRoute.body.code, 'idempotency_key_reused');
  assert.deepEqual(await tasksNamed('other.png'), []);

  // Refused: the key stays free, and the fixed request under it makes its task.
  const refused = await submit('/api/async/pdf', Buffer.from('not a pdf at all'), 'fixed.pdf', 'fix-key');
  assert.equal(refused.body.code, 'unsupported_file_type');
  const fixed = await submit('/api/async/pdf', makePdf([624]), 'fixed.pdf', 'fix-key');
  assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
  assert.equal(fixed.body.idempotent_replay, undefined);
});

test('a batch repeated with its key answers as the first did, and makes no new task', async () => {
  const post = async (files: Array<[Buffer, string]>, key: string) => {
    const form = new FormData();
    for (const [bytes, name] of files) form.append('files', new Blob([new Uint8Array(bytes)]), name);
    const res = await fetch(`${stack.api}/api/async/batch`, { method: 'POST', body: form, headers: { 'Idempotency-Key': key } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const files: Array<[Buffer, string]> = [[makePdf([641]), 'batch-a.pdf'], [Buffer.from('not a document'), 'batch-b.txt'], [await taggedImage(642), 'batch-c.png']];
  const first = await post(files, 'batch-key');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal((first.body.submitted_tasks as unknown[]).length, 2);
  assert.equal((first.body.failed_files as unknown[]).length, 1);
  const [again, racing] = await Promise.all([post(files, 'batch-key'), post(files, 'batch-key')]);
  for (const repeat of [again, racing]) assert.deepEqual(repeat.body, { ...first.body, idempotent_replay: true });
  assert.equal((await tasksNamed('batch-a.pdf')).length, 1);
  assert.equal((await tasksNamed('batch-c.png')).length, 1);
  const fewer = await post(files.slice(0, 1), 'batch-key');
  assert.equal(fewer.status, 422);
  assert.equal(fewer.body.code, 'idempotency_key_reused');
});

test('deleting the task frees its key', async () => {
  const pdf = makePdf([631]);
  const first = await submit('/api/async/pdf', pdf, 'deleted.pdf', 'delete-key');
  const taskId = String(first.body.task_id);
  await waitForTask(stack, taskId);
  const res = await fetch(`${stack.api}/api/tasks/${taskId}`, { method: 'DELETE' });
  assert.equal(res.status, 200);
  const again = await submit('/api/async/pdf', pdf, 'deleted.pdf', 'delete-key');
  assert.equal(again.status, 200);
  assert.notEqual(again.body.task_id, taskId);
  assert.equal(again.body.idempotent_replay, undefined);
});
