/**
 * One table of bad requests across the API: each gets a clear 4xx with `{detail, code}`, the service
 * stays healthy, and no stored task changes (compared row by row before and after).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { bmpClaiming, brokenJpeg, pngClaiming, taggedImage } from '../helpers/images.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { connectWs, ofType, wsUrl } from '../helpers/ws-client.js';

let stack: Stack;
let taskId: string;
let png: Buffer;
let badJpeg: Buffer;
before(async () => {
  badJpeg = await brokenJpeg(2);
  stack = await startStack({ env: { MAX_IMAGE_SIZE_MB: '1', MAX_PDF_SIZE_MB: '1', MAX_PDF_PAGES: '3' } });
  png = await taggedImage(1);
  const { body } = await postFile(`${stack.api}/api/async/image`, png, 'kept.png');
  taskId = String(body.task_id);
  await waitForTask(stack, taskId);
});
after(() => stack?.stop());

const form = (files: Array<[string, Buffer, string]>): FormData => withFields({}, files);

/** A form with these fields before its files. */
function withFields(fields: Record<string, string>, files: Array<[string, Buffer, string]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  for (const [field, bytes, name] of files) data.append(field, new Blob([new Uint8Array(bytes)]), name);
  return data;
}

const json = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
const unknownId = '00000000-0000-4000-8000-000000000000';

/** [name, path under the origin, request init, expected status, expected code] */
type Case = [string, string | (() => string), () => Promise<RequestInit> | RequestInit, number, string];
const P = '/test-pw';
const cases: Case[] = [
  ['multipart without a boundary', `${P}/api/async/image`, () => ({ method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' }), 400, 'invalid_multipart'],
  ['multipart cut off mid-part', `${P}/api/async/image`, () => ({ method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG' }), 400, 'invalid_multipart'],
  ['urlencoded instead of multipart', `${P}/api/async/pdf`, () => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'file=x' }), 400, 'invalid_multipart'],
  ['no body at all', `${P}/api/async/image`, () => ({ method: 'POST' }), 400, 'invalid_multipart'],
  ['file in the wrong field', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['upload', png, 'a.png']]) }), 400, 'missing_file'],
  ['empty image', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', Buffer.alloc(0), 'a.png']]) }), 400, 'empty_file'],
  ['empty PDF', `${P}/api/async/pdf`, () => ({ method: 'POST', body: form([['file', Buffer.alloc(0), 'a.pdf']]) }), 400, 'empty_file'],
  ['image over the limit', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', Buffer.concat([png, Buffer.alloc(1_100_000)]), 'a.png']]) }), 400, 'file_too_large'],
  ['PDF over the page limit', `${P}/api/async/pdf`, () => ({ method: 'POST', body: form([['file', makePdf([1, 2, 3, 4]), 'a.pdf']]) }), 400, 'pdf_too_many_pages'],
  ['JPEG with a broken frame header', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', badJpeg, 'broken.jpg']]) }), 400, 'image_corrupt'],
  ['PNG header claiming 65536 × 65536 pixels', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', pngClaiming(65536, 65536), 'huge.png']]) }), 400, 'image_too_large'],
  ['BMP header claiming 3,000,000 × 2,000,000 pixels', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', bmpClaiming(3_000_000, 2_000_000), 'huge.bmp']]) }), 400, 'image_too_large'],
  ['executable named .png', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', Buffer.from('\x7fELF\x02\x01\x01\x00'.padEnd(64, '\x00')), 'a.png']]) }), 400, 'unsupported_file_type'],
  ['HTML named .pdf', `${P}/api/async/pdf`, () => ({ method: 'POST', body: form([['file', Buffer.from('<html><script>alert(1)</script></html>'), 'a.pdf']]) }), 400, 'unsupported_file_type'],
  ['traversal and HTML in a refused file name', `${P}/api/async/image`, () => ({ method: 'POST', body: form([['file', Buffer.from('text'), '../../../etc/<b onmouseover=alert(1)>.png']]) }), 400, 'unsupported_file_type'],
  ['Idempotency-Key with a space', `${P}/api/async/image`, () => ({ method: 'POST', headers: { 'Idempotency-Key': 'my key' }, body: form([['file', png, 'a.png']]) }), 400, 'invalid_idempotency_key'],
  ['Idempotency-Key of 65 characters', `${P}/api/async/pdf`, () => ({ method: 'POST', headers: { 'Idempotency-Key': 'k'.repeat(65) }, body: form([['file', makePdf([1]), 'a.pdf']]) }), 400, 'invalid_idempotency_key'],
  ['a model outside MODELS', `${P}/api/async/image`, () => ({ method: 'POST', body: withFields({ model: 'gpt-9' }, [['file', png, 'a.png']]) }), 400, 'invalid_option'],
  ['dpi out of range', `${P}/api/async/pdf`, () => ({ method: 'POST', body: withFields({ dpi: '1000' }, [['file', makePdf([1]), 'a.pdf']]) }), 400, 'invalid_option'],
  ['an open page range', `${P}/api/async/pdf`, () => ({ method: 'POST', body: withFields({ pages: '2-' }, [['file', makePdf([1]), 'a.pdf']]) }), 400, 'invalid_option'],
  ['a page beyond the document', `${P}/api/async/pdf`, () => ({ method: 'POST', body: withFields({ pages: '1-3' }, [['file', makePdf([1, 2]), 'a.pdf']]) }), 400, 'invalid_option'],
  ['an unknown image format as a query parameter', `${P}/api/async/pdf?image_format=tiff`, () => ({ method: 'POST', body: form([['file', makePdf([1]), 'a.pdf']]) }), 400, 'invalid_option'],
  ['a prompt of 2,001 characters', `${P}/process/image`, () => ({ method: 'POST', body: withFields({ prompt: 'p'.repeat(2001) }, [['file', png, 'a.png']]) }), 400, 'invalid_option'],
  ['batch without files', `${P}/api/async/batch`, () => ({ method: 'POST', body: form([['file', png, 'a.png']]) }), 400, 'missing_file'],
  ['batch of 21 files', `${P}/api/async/batch`, () => ({ method: 'POST', body: form(Array.from({ length: 21 }, (_, i) => ['files', png, `${i}.png`] as [string, Buffer, string])) }), 400, 'too_many_files'],
  ['malformed task id', `${P}/api/tasks/not-a-uuid`, () => ({}), 404, 'task_not_found'],
  ['encoded traversal as a task id', `${P}/api/tasks/..%2F..%2Fetc%2Fpasswd/result`, () => ({}), 404, 'task_not_found'],
  ['unknown task', `${P}/api/tasks/${unknownId}/result`, () => ({}), 404, 'task_not_found'],
  ['page 0', () => `${P}/api/tasks/${taskId}/pages/0`, () => ({}), 400, 'invalid_page_number'],
  ['page past the end', () => `${P}/api/tasks/${taskId}/pages/2`, () => ({}), 404, 'page_out_of_range'],
  ['export in an unknown format', () => `${P}/api/tasks/${taskId}/export?format=exe`, () => ({}), 400, 'unsupported_format'],
  ['list with a bad status', `${P}/api/tasks?status=everything`, () => ({}), 400, 'invalid_query'],
  ['list with a negative offset', `${P}/api/tasks?offset=-5`, () => ({}), 400, 'invalid_query'],
  ['batch status with bad JSON', `${P}/api/tasks/batch/status`, () => json('{"task_ids": [1,'), 400, 'invalid_json'],
  ['batch status without ids', `${P}/api/tasks/batch/status`, () => json('{}'), 400, 'missing_task_ids'],
  ['batch status with 51 ids', `${P}/api/tasks/batch/status`, () => json(JSON.stringify({ task_ids: Array.from({ length: 51 }, () => unknownId) })), 400, 'too_many_task_ids'],
  ['cancel of a finished task', () => `${P}/api/tasks/${taskId}/cancel`, () => ({ method: 'POST' }), 409, 'task_not_running'],
  ['retry of a completed task', () => `${P}/api/tasks/${taskId}/retry`, () => ({ method: 'POST' }), 409, 'task_not_retryable'],
  ['wrong password', () => `/wrong/api/tasks/${taskId}`, () => ({}), 404, 'not_found'],
  ['password with different case', () => `/TEST-PW/api/tasks/${taskId}`, () => ({}), 404, 'not_found'],
  ['no password', () => `/api/tasks/${taskId}`, () => ({}), 404, 'not_found'],
  ['wrong bearer token', () => `/api/tasks/${taskId}`, () => ({ headers: { authorization: 'Bearer test-pw2' } }), 404, 'not_found'],
  ['delete with a wrong password', () => `/wrong/api/tasks/${taskId}`, () => ({ method: 'DELETE' }), 404, 'not_found'],
  ['unknown route', `${P}/api/does-not-exist`, () => ({}), 404, 'not_found'],
  ['wrong method', `${P}/api/async/pdf`, () => ({ method: 'PUT' }), 405, 'method_not_allowed'],
];

const snapshot = async () => JSON.stringify((await stack.pool.query('select * from tasks order by id')).rows);

async function assertHealthy(): Promise<void> {
  const health = await getJson<{ status: string }>(`${stack.origin}/health`);
  assert.deepEqual([health.status, health.body.status], [200, 'healthy']);
}

test(`${cases.length} bad requests: each a clear 4xx, the service healthy, no task changed`, async () => {
  assert.ok(cases.length >= 25);
  const before = await snapshot();
  for (const [name, path, init, status, code] of cases) {
    const url = `${stack.origin}${typeof path === 'function' ? path() : path}`;
    const res = await fetch(url, await init());
    const text = await res.text();
    let body: { detail?: unknown; code?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      assert.fail(`${name}: not JSON: ${text.slice(0, 200)}`);
    }
    assert.equal(res.status, status, `${name}: ${text}`);
    assert.equal(body.code, code, name);
    assert.equal(typeof body.detail, 'string', name);
    assert.ok(!String(body.detail).includes('test-pw'), `${name}: the password never appears in an answer`);
  }
  assert.equal(await snapshot(), before, 'no stored task changed');
  await assertHealthy();
});

/** A WebSocket upgrade request; a refusal is a plain HTTP answer. */
function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${stack.origin}${path}`, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '13', ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

/** [name, path, headers, expected status, expected code] */
const refusedUpgrades: Array<[string, string, Record<string, string>, number, string]> = [
  ['WebSocket with a wrong password', '/wrong-pw/ws', {}, 404, 'not_found'],
  ['WebSocket without a password', '/ws', {}, 404, 'not_found'],
  ['WebSocket with a wrong Bearer token', '/ws', { Authorization: 'Bearer wrong-pw' }, 404, 'not_found'],
  ['WebSocket with the password differently cased', '/TEST-PW/ws', {}, 404, 'not_found'],
  ['WebSocket on an unknown path', `${P}/wss`, {}, 404, 'not_found'],
  ['WebSocket with HTML as client_id', `${P}/ws?client_id=%3Cscript%3E`, {}, 400, 'invalid_client_id'],
];

/** [name, message sent, expected error code, expected message] */
const badMessages: Array<[string, string | Buffer, string, string]> = [
  ['not JSON', 'hello', 'invalid_json', 'JSON格式错误'],
  ['a JSON array', '[1,2]', 'invalid_json', 'JSON格式错误'],
  ['a binary frame', Buffer.from([1, 2, 3]), 'invalid_json', 'JSON格式错误: 只接受文本消息'],
  ['an unknown message type', '{"type":"dance"}', 'unknown_message_type', '未知消息类型: dance'],
  ['a message without a type', `{"task_id":"${unknownId}"}`, 'unknown_message_type', '未知消息类型: undefined'],
  ['subscribe without task_id', '{"type":"subscribe_task"}', 'missing_task_id', '缺少task_id参数'],
  ['status with an empty task_id', '{"type":"get_task_status","task_id":""}', 'missing_task_id', '缺少task_id参数'],
  ['subscribe with a traversal as task_id', '{"type":"subscribe_task","task_id":"../../etc/passwd"}', 'task_not_found', '任务不存在'],
  ['subscribe to an unknown task', `{"type":"subscribe_task","task_id":"${randomUUID()}"}`, 'task_not_found', '任务不存在'],
  ['status of an unknown task', `{"type":"get_task_status","task_id":"${randomUUID()}"}`, 'task_not_found', '任务不存在'],
];

test(`${refusedUpgrades.length + badMessages.length} bad WebSocket requests: refused or answered with an error, the connection kept`, async () => {
  const before = await snapshot();
  for (const [name, path, headers, status, code] of refusedUpgrades) {
    const res = await upgrade(path, headers);
    assert.equal(res.status, status, `${name}: ${res.body}`);
    const body = JSON.parse(res.body) as { detail: unknown; code: unknown };
    assert.equal(body.code, code, name);
    assert.equal(typeof body.detail, 'string', name);
  }
  assert.equal((await upgrade('/ws', { Authorization: 'Bearer test-pw' })).status, 101, 'the right Bearer token is let in');

  const client = await connectWs(wsUrl(stack.api));
  try {
    for (const [name, message, code, text] of badMessages) {
      const from = client.messages.length;
      client.socket.send(message, { binary: Buffer.isBuffer(message) });
      const error = await client.waitFor(ofType('error'), name, { from });
      assert.deepEqual([error.code, error.message], [code, text], name);
    }
    client.send({ type: 'ping' });
    await client.waitFor(ofType('pong'), 'pong: the connection is still up', { from: client.messages.length - 1 });
  } finally {
    await client.close();
  }
  assert.equal(await snapshot(), before, 'no stored task changed');
  await assertHealthy();
});
