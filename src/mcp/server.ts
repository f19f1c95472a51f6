/**
 * The service as an MCP server, for LLM agents: tools to OCR a file and to read, list and cancel
 * tasks, and each finished task's Markdown as the resource `ocr://tasks/{id}`. Both transports build
 * it over the REST API (`OcrBackend`): `/{PASSWORD}/mcp` on the API (Streamable HTTP, api/mcp.ts)
 * and `ocr mcp` over stdio (main/mcp.ts), so limits, refusals and their messages are the REST
 * routes' own. A refusal is a tool error carrying the route's message.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TaskDetails, TaskList, TaskResult, TaskStatus, TaskSummary } from '../contract/index.js';
import { TASK_STATUSES } from '../contract/index.js';
import { formatPageRanges, parsePageRanges } from '../tasks/page-ranges.js';

/** What a file to read is, for the backend: a local path (stdio) or bytes the client sent (HTTP). */
export type McpFile = { name: string; path: string; content?: undefined } | { name: string; content: Buffer; path?: undefined };

export interface McpSubmitOptions { pages?: string | undefined; model?: string | undefined; prompt?: string | undefined }

/** The REST API as the MCP tools use it; its errors' messages are what the agent is told. */
export interface OcrBackend {
  submit(file: McpFile, options: McpSubmitOptions): Promise<{ taskId: string; totalPages: number }>;
  task(id: string): Promise<TaskDetails>;
  result(id: string): Promise<TaskResult>;
  list(query: { status?: TaskStatus | undefined; limit?: number | undefined }): Promise<TaskList>;
  cancel(id: string): Promise<{ message: string }>;
}

export interface McpServerOptions {
  /** How the file of `ocr_file` is given: a local path (stdio, the client's own machine) or base64 (HTTP). */
  files: 'path' | 'base64';
  /** How often a waiting tool looks at its task, ms. */
  pollMs?: number;
}

/** How long `ocr_file` waits by default and at most before it answers with the task id and its progress. */
const WAIT = { default: 120, max: 600 };
const FINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'partial', 'failed', 'cancelled']);

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
interface OcrFileArgs { pages?: string | undefined; model?: string | undefined; prompt?: string | undefined; wait_seconds?: number | undefined }

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
const json = (value: unknown) => text(JSON.stringify(value, null, 2));

/** A task as an agent needs it: what it is, how far, and what went wrong. */
const taskFacts = (t: TaskSummary) => ({
  task_id: t.id, status: t.status, file_name: t.file_name, total_pages: t.total_pages, processed_pages: t.processed_pages,
  failed_pages: t.failed_pages, progress: t.progress, created_at: t.created_at, completed_at: t.completed_at,
  error_message: t.error_message, tokens: t.usage.total_tokens, cost: t.usage.cost,
});

const pagesSchema = z.string().optional().describe('Only these pages, 1-based ranges such as "1-3,5"');
const taskIdSchema = z.string().describe('The task id (a UUID) that ocr_file or list_tasks gave');

/** The Markdown of a result's pages in `range` (all when unset), each after a `<!-- page N -->` marker when the task has pages. */
function resultMarkdown(result: TaskResult, range: string | undefined): string {
  if (result.page_results.length === 0) {
    if (range && !parsePageRanges(range).includes(1)) throw new Error('Option "pages": an image task has only page 1');
    return result.content;
  }
  const wanted = range ? new Set(parsePageRanges(range)) : undefined;
  const pages = result.page_results.filter((p) => !wanted || wanted.has(p.page_number));
  if (wanted && pages.length === 0) throw new Error(`Option "pages": the task has no page in ${formatPageRanges([...wanted])}`);
  return pages.map((p) => `<!-- page ${p.page_number} -->\n${p.status === 'completed' ? p.content ?? '' : `(page ${p.page_number} could not be recognised: ${p.error_message ?? p.status})`}`).join('\n\n');
}

export function createOcrMcpServer(backend: OcrBackend, { files, pollMs = 1000 }: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'ocr', version: '1.0.0' });

  /** Submits, then waits (telling the client how far it got) until the task ends or the wait does. */
  async function ocrFile(file: McpFile, args: OcrFileArgs, extra: Extra) {
    const { taskId, totalPages } = await backend.submit(file, { pages: args.pages, model: args.model, prompt: args.prompt });
    const deadline = Date.now() + (args.wait_seconds ?? WAIT.default) * 1000;
    const progressToken = extra._meta?.progressToken;
    let task = await backend.task(taskId);
    while (!FINAL.has(task.status) && Date.now() < deadline && !extra.signal.aborted) {
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: task.processed_pages + task.failed_pages, total: totalPages, message: `${task.status}: ${task.processed_pages} of ${totalPages} pages read` },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      task = await backend.task(taskId);
    }
    if (task.status === 'completed' || task.status === 'partial') {
      const result = await backend.result(taskId);
      const failed = task.failed_pages ? `\n\n<!-- ${task.failed_pages} page(s) could not be recognised: see get_task ${taskId} -->` : '';
      return text(`${result.content}${failed}`);
    }
    if (FINAL.has(task.status)) return { ...json(taskFacts(task)), isError: true };
    return json({ ...taskFacts(task), note: 'Still running: call get_task, then get_result, with this task_id.' });
  }

  const ocrFileTool = {
    title: 'OCR a file',
    description: 'Reads a PDF or an image into Markdown (formulas as LaTeX). Waits up to wait_seconds for the result: '
      + 'then returns the Markdown, or else the task id and its progress (read it later with get_task and get_result). '
      + 'Sends progress notifications while it waits.',
  };
  const ocrFileOptions = {
    pages: pagesSchema,
    model: z.string().optional().describe('One of the models the server allows (its default otherwise)'),
    prompt: z.string().optional().describe('Instructions for the model instead of the default prompt'),
    wait_seconds: z.number().int().min(0).max(WAIT.max).optional().describe(`How long to wait for the result (default ${WAIT.default})`),
  };
  const fileTypes = 'a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image';
  // Over stdio the server runs on the client's machine and may read its files; over HTTP it must
  // never read a path it is given, so the bytes come in the call.
  if (files === 'path') {
    server.registerTool('ocr_file', { ...ocrFileTool, inputSchema: { path: z.string().describe(`The file on this machine: ${fileTypes}`), ...ocrFileOptions } },
      (args, extra) => ocrFile({ name: args.path.split(/[/\\]/).pop() || args.path, path: args.path }, args, extra));
  } else {
    server.registerTool('ocr_file', {
      ...ocrFileTool,
      inputSchema: {
        content_base64: z.string().describe(`The file's bytes, base64: ${fileTypes}`),
        file_name: z.string().describe('Its name, e.g. paper.pdf (shown in the task list)'),
        ...ocrFileOptions,
      },
    }, (args, extra) => ocrFile({ name: args.file_name, content: Buffer.from(args.content_base64, 'base64') }, args, extra));
  }

  server.registerTool('get_task', {
    title: 'A task\'s status',
    description: 'Status, pages done and failed, and errors of a task.',
    inputSchema: { task_id: taskIdSchema },
    annotations: { readOnlyHint: true },
  }, async ({ task_id }) => {
    const task = await backend.task(task_id);
    return json({ ...taskFacts(task), failed: task.page_results.filter((p) => p.status === 'failed').map((p) => ({ page: p.page_number, error: p.error_message })) });
  });

  server.registerTool('get_result', {
    title: 'A task\'s Markdown',
    description: 'The Markdown of a finished task, all of it or only some pages (to keep a reply short).',
    inputSchema: { task_id: taskIdSchema, pages: pagesSchema },
    annotations: { readOnlyHint: true },
  }, async ({ task_id, pages }) => {
    const result = await backend.result(task_id);
    if (result.status !== 'completed' && result.status !== 'partial') throw new Error(`The task is ${result.status}: it has no result yet`);
    return text(resultMarkdown(result, pages));
  });

  server.registerTool('list_tasks', {
    title: 'Tasks',
    description: 'Tasks, newest first.',
    inputSchema: {
      status: z.enum(TASK_STATUSES).optional().describe('Only tasks with this status'),
      limit: z.number().int().min(1).max(100).optional().describe('At most this many (default 20)'),
    },
    annotations: { readOnlyHint: true },
  }, async ({ status, limit }) => {
    const list = await backend.list({ status, limit: limit ?? 20 });
    return json({ total: list.pagination.total, tasks: list.data.map(taskFacts) });
  });

  server.registerTool('cancel_task', {
    title: 'Cancel a task',
    description: 'Stops a pending or running task; pages already read are kept.',
    inputSchema: { task_id: taskIdSchema },
    annotations: { destructiveHint: true },
  }, async ({ task_id }) => text((await backend.cancel(task_id)).message));

  server.registerResource('task', new ResourceTemplate('ocr://tasks/{id}', {
    list: async () => ({
      resources: (await backend.list({ status: 'completed', limit: 50 })).data.map((t) => ({ uri: `ocr://tasks/${t.id}`, name: t.file_name, mimeType: 'text/markdown' })),
    }),
  }), { title: 'A finished task\'s Markdown', mimeType: 'text/markdown' }, async (uri, { id }) => {
    const result = await backend.result(String(id));
    if (result.status !== 'completed' && result.status !== 'partial') throw new Error(`The task is ${result.status}: it has no result yet`);
    return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: result.content }] };
  });

  return server;
}
