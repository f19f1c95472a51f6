/**
 * The MCP server, driven by the SDK's own client: over Streamable HTTP at /{PASSWORD}/mcp (and with
 * `Authorization: Bearer`), and over stdio as `ocr mcp --server` launched the way a desktop client
 * launches it. Lists the tools, OCRs a PDF with progress notifications, reads a page range and the
 * resource, and gets tool errors for a bad page range, an unsupported file and a wrong password.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { startStack, type Stack } from '../helpers/stack.js';

const CLI = fileURLToPath(new URL('../../src/main/cli.ts', import.meta.url));
const TOOLS = ['cancel_task', 'get_result', 'get_task', 'list_tasks', 'ocr_file'];

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '2', CONCURRENCY: '2' } });
});
after(() => stack?.stop());

async function connected(transport: StreamableHTTPClientTransport | StdioClientTransport): Promise<Client> {
  const client = new Client({ name: 'ocr-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const call = async (client: Client, name: string, args: Record<string, unknown>, onprogress?: (p: { progress: number; total?: number }) => void) =>
  (await client.callTool({ name, arguments: args }, undefined, onprogress ? { onprogress, resetTimeoutOnProgress: true } : {})) as CallToolResult;

describe('over Streamable HTTP', () => {
  let client: Client;
  before(async () => {
    client = await connected(new StreamableHTTPClientTransport(new URL(`${stack.api}/mcp`)));
  });
  after(() => client?.close());

  test('lists the tools, the file as base64', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const ocr = tools.find((t) => t.name === 'ocr_file')!;
    assert.deepEqual(Object.keys(ocr.inputSchema.properties ?? {}).sort(), ['content_base64', 'file_name', 'model', 'pages', 'prompt', 'wait_seconds']);
    assert.deepEqual(ocr.inputSchema.required?.sort(), ['content_base64', 'file_name']);
  });

  test('OCRs a PDF with progress, then a page range, the task and the resource', async () => {
    const tags = [1801, 1802, 1803, 1804];
    const progress: number[] = [];
    const result = await call(client, 'ocr_file', { content_base64: makePdf(tags).toString('base64'), file_name: 'four.pdf' }, (p) => progress.push(p.progress));
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(textOf(result), tags.map(stubMarkdown).join('\n\n'));
    assert.ok(progress.length > 0, 'progress notifications while it waited');

    const list = JSON.parse(textOf(await call(client, 'list_tasks', { limit: 5 }))) as { tasks: Array<{ task_id: string; file_name: string; status: string }> };
    const task = list.tasks.find((t) => t.file_name === 'four.pdf')!;
    assert.equal(task.status, 'completed');
    const two = textOf(await call(client, 'get_result', { task_id: task.task_id, pages: '2-3' }));
    assert.equal(two, `<!-- page 2 -->\n${stubMarkdown(1802)}\n\n<!-- page 3 -->\n${stubMarkdown(1803)}`);
    const facts = JSON.parse(textOf(await call(client, 'get_task', { task_id: task.task_id }))) as { total_pages: number; processed_pages: number; failed: unknown[] };
    assert.deepEqual([facts.total_pages, facts.processed_pages, facts.failed], [4, 4, []]);

    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === `ocr://tasks/${task.task_id}` && r.name === 'four.pdf'));
    const read = await client.readResource({ uri: `ocr://tasks/${task.task_id}` });
    assert.deepEqual(read.contents, [{ uri: `ocr://tasks/${task.task_id}`, mimeType: 'text/markdown', text: tags.map(stubMarkdown).join('\n\n') }]);
  });

  test('tool errors with the REST routes\' messages: a page range past the end, a file that is no image, a page range of a result', async () => {
    const beyond = await call(client, 'ocr_file', { content_base64: makePdf([1811]).toString('base64'), file_name: 'one.pdf', pages: '2-3' });
    assert.equal(beyond.isError, true);
    assert.match(textOf(beyond), /page 3 is beyond the document, which has 1 page/);
    const notes = await call(client, 'ocr_file', { content_base64: Buffer.from('just some notes').toString('base64'), file_name: 'notes.txt' });
    assert.equal(notes.isError, true);
    assert.match(textOf(notes), /not a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image/);
    const image = await call(client, 'ocr_file', { content_base64: (await taggedImage(1812)).toString('base64'), file_name: 'one.png' });
    assert.equal(textOf(image), stubMarkdown(1812));
    const { tasks } = JSON.parse(textOf(await call(client, 'list_tasks', { limit: 1 }))) as { tasks: Array<{ task_id: string }> };
    const bad = await call(client, 'get_result', { task_id: tasks[0]!.task_id, pages: 'x' });
    assert.equal(bad.isError, true);
    const unknown = await call(client, 'get_task', { task_id: '00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.isError, true);
    assert.match(textOf(unknown), /任务不存在/);
  });
});

test('Bearer instead of the prefix works; a wrong password cannot connect', async () => {
  const bearer = await connected(new StreamableHTTPClientTransport(new URL(`${stack.origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${stack.config.http.password}` } } }));
  assert.equal((await bearer.listTools()).tools.length, TOOLS.length);
  await bearer.close();
  const wrong = new Client({ name: 'ocr-test', version: '1.0.0' });
  await assert.rejects(wrong.connect(new StreamableHTTPClientTransport(new URL(`${stack.origin}/not-the-password/mcp`))), /Not Found/);
  const wrongBearer = new Client({ name: 'ocr-test', version: '1.0.0' });
  await assert.rejects(wrongBearer.connect(new StreamableHTTPClientTransport(new URL(`${stack.origin}/mcp`), { requestInit: { headers: { authorization: 'Bearer nope' } } })), /Not Found/);
});

describe('over stdio: `ocr mcp --server`', () => {
  let client: Client;
  before(async () => {
    client = await connected(new StdioClientTransport({
      command: process.execPath, args: ['--import', 'tsx', CLI, 'mcp', '--server', stack.origin, '--password', stack.config.http.password],
      cwd: path.dirname(CLI), stderr: 'pipe',
    }));
  });
  after(() => client?.close());

  test('OCRs a local file by its path; a missing file is a tool error', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const file = path.join(testEnv.scratchDir, 'local.png');
    await writeFile(file, await taggedImage(1820));
    const result = await call(client, 'ocr_file', { path: file });
    assert.equal(textOf(result), stubMarkdown(1820));
    const missing = await call(client, 'ocr_file', { path: path.join(testEnv.scratchDir, 'nothing-here.pdf') });
    assert.equal(missing.isError, true);
  });

  test('a wrong password is a tool error saying so', async () => {
    const wrong = await connected(new StdioClientTransport({
      command: process.execPath, args: ['--import', 'tsx', CLI, 'mcp', '--server', stack.origin, '--password', 'not-the-password'],
      cwd: path.dirname(CLI), stderr: 'pipe',
    }));
    const result = await call(wrong, 'list_tasks', {});
    assert.equal(result.isError, true);
    assert.match(textOf(result), /password/);
    await wrong.close();
  });
});
