/**
 * The REST API as the client commands speak it: Node's fetch, the password as the path prefix
 * (`/{PASSWORD}/api/…`, the form every route and the WebSocket take), answers typed by the contract.
 * A connection that fails becomes the "unreachable" exit; an answer that is not 2xx an ApiError with
 * the server's `{detail, code}`. The password is in every URL, so no URL is ever put in a message.
 */
import { openAsBlob } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AsyncSubmitted, ErrorBody, PageConfig, TaskDetails, TaskList, TaskOptions, TaskResult, TaskStatus } from '../contract/index.js';
import { PAGE_CONFIG_META } from '../contract/index.js';
import { CliError, EXIT } from './exit-codes.js';
import type { LocalFile } from './files.js';
import type { ServerSettings } from './settings.js';

export const EXPORT_FORMATS = ['md', 'txt', 'json', 'html', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The options a submit sends beside each file (multipart fields of the same names). */
export type SubmitOptions = Pick<TaskOptions, 'pages' | 'model' | 'prompt'>;

/** A refusal by the server: its status and the error body it sent. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly detail: string) {
    super(`${detail} (${code})`);
    this.name = 'ApiError';
  }
}

/** POST /api/async/batch: the old service's shape, declared beside its route (api/http/routes/submit.ts). */
interface BatchAnswer {
  submitted_tasks: Array<{ task_id: string; filename: string; type: 'image' | 'pdf'; total_pages?: number }>;
  failed_files: Array<{ filename: string; error: string; code: string }>;
}

/** What became of one uploaded file. */
export type SubmitOutcome =
  | { file: LocalFile; taskId: string; totalPages: number; refused?: undefined }
  /** `wholeBatch`: the batch request was refused before any file was looked at (its options, say). */
  | { file: LocalFile; taskId?: undefined; refused: ApiError; wholeBatch?: boolean };

/** Answers of cancel and retry (api/http/routes/control.ts); retry says how many pages it runs again. */
export interface ControlAnswer { status: 'success'; task_id: string; message: string; retried_pages?: number }

export interface ApiClient {
  /** The WebSocket URL, password included. */
  websocketUrl(clientId: string): string;
  /** Fails with the wrong-password or unreachable exit unless the password opens the API. */
  checkAccess(): Promise<void>;
  /** The upload limits the web page is given; undefined when they cannot be read (the server's answers still tell). */
  limits(): Promise<PageConfig | undefined>;
  /** One file on its own route, or several on the batch route (the server takes them in order). */
  submit(files: LocalFile[], options: SubmitOptions, signal?: AbortSignal): Promise<SubmitOutcome[]>;
  task(id: string): Promise<TaskDetails>;
  /** GET /api/tasks/{id}/result: the Markdown, each page's own too. */
  result(id: string): Promise<TaskResult>;
  list(query: { status?: TaskStatus | undefined; limit?: number | undefined }): Promise<TaskList>;
  cancel(id: string): Promise<ControlAnswer>;
  retry(id: string): Promise<ControlAnswer>;
  /** Streams /api/tasks/{id}/export?format=… into `into`, byte for byte. */
  exportTo(id: string, format: ExportFormat, into: NodeJS.WritableStream): Promise<void>;
}

/** JSON requests are small: a server that takes longer than this is not going to answer. */
const REQUEST_TIMEOUT_MS = 30_000;

const unreachable = (server: string, err: unknown) => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return new CliError(EXIT.unreachable, `cannot reach the ocr server at ${server} (${why}): start it (npm start) or pass --server URL / set OCR_SERVER`, { cause: err });
};

async function refusal(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof body.detail === 'string') return new ApiError(res.status, body.code ?? `http_${res.status}`, body.detail);
  } catch {
    // not our JSON error shape: a proxy's page, say
  }
  return new ApiError(res.status, `http_${res.status}`, `the server answered ${res.status} ${res.statusText}`);
}

/** The ocr-config meta tag's JSON, as the page reads it (escapeHtml's five entities undone). */
function pageConfigFrom(html: string): PageConfig | undefined {
  const content = new RegExp(`<meta name="${PAGE_CONFIG_META}" content="([^"]*)">`).exec(html)?.[1];
  if (content === undefined) return undefined;
  const json = content.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e] ?? '');
  try {
    const config = JSON.parse(json) as Partial<PageConfig>;
    return typeof config.maxImageMb === 'number' && typeof config.maxPdfMb === 'number' ? config as PageConfig : undefined;
  } catch {
    return undefined;
  }
}

export function createApiClient({ server, password }: ServerSettings): ApiClient {
  const base = password === '' ? server : `${server}/${encodeURIComponent(password)}`;

  async function send(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
    } catch (err) {
      if ((err as Error).name === 'AbortError' && init.signal?.aborted) throw err;
      throw unreachable(server, err);
    }
  }

  async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await send(`${base}${path}`, init);
    if (!res.ok) throw await refusal(res);
    return (await res.json()) as T;
  }

  /** The multipart body: the options as fields, then the files (read from disk as they are sent). */
  async function form(field: string, files: LocalFile[], options: SubmitOptions): Promise<FormData> {
    const body = new FormData();
    for (const [name, value] of Object.entries(options)) if (value !== undefined && value !== '') body.append(name, String(value));
    for (const file of files) body.append(field, await openAsBlob(file.path, { type: file.mimeType }), file.name);
    return body;
  }

  async function submitOne(file: LocalFile, options: SubmitOptions, signal?: AbortSignal): Promise<SubmitOutcome> {
    const route = file.kind === 'pdf' ? '/api/async/pdf' : '/api/async/image';
    // No timeout: a large upload takes as long as it takes.
    const res = await send(`${base}${route}`, { method: 'POST', body: await form('file', [file], options), signal: signal ?? null });
    if (!res.ok) return { file, refused: await refusal(res) };
    const answer = (await res.json()) as AsyncSubmitted;
    return { file, taskId: answer.task_id, totalPages: answer.total_pages ?? 1 };
  }

  async function submitBatch(files: LocalFile[], options: SubmitOptions, signal?: AbortSignal): Promise<SubmitOutcome[]> {
    const res = await send(`${base}/api/async/batch`, { method: 'POST', body: await form('files', files, options), signal: signal ?? null });
    if (!res.ok) {
      const error = await refusal(res);
      return files.map((file) => ({ file, refused: error, wholeBatch: true }));
    }
    const answer = (await res.json()) as BatchAnswer;
    // The server lists each file in one of the two lists, in upload order; names are unique in a
    // batch (upload-plan.ts sees to it), so a name says which list a file is in.
    const submitted = new Map(answer.submitted_tasks.map((t) => [t.filename, t]));
    const failed = new Map(answer.failed_files.map((f) => [f.filename, f]));
    return files.map((file): SubmitOutcome => {
      const task = submitted.get(file.name);
      if (task) return { file, taskId: task.task_id, totalPages: task.total_pages ?? 1 };
      const refused = failed.get(file.name);
      return { file, refused: new ApiError(400, refused?.code ?? 'not_submitted', refused?.error ?? 'the server did not list this file in its answer') };
    });
  }

  return {
    websocketUrl: (clientId) => `${base.replace(/^http/, 'ws')}/ws?client_id=${encodeURIComponent(clientId)}`,

    async checkAccess() {
      const res = await send(`${base}/api/tasks?limit=1`);
      if (res.ok) return;
      if (res.status !== 404) throw await refusal(res);
      // A wrong password is answered like an unknown route: /openapi.json (public) tells whether
      // this is an ocr server at all.
      const doc = await send(`${server}/openapi.json`).then((r) => (r.ok ? r.json() as Promise<{ paths?: Record<string, unknown> }> : undefined)).catch(() => undefined);
      if (doc?.paths?.['/{password}/api/async/batch'] === undefined) {
        throw new CliError(EXIT.unreachable, `${server} answers, but is not an ocr server (it has no /openapi.json of one): check --server / OCR_SERVER`);
      }
      throw new CliError(EXIT.wrongPassword, `the ocr server at ${server} does not accept this password: pass its PASSWORD with --password or set OCR_PASSWORD (environment or .env)`);
    },

    async limits() {
      try {
        const res = await send(`${base}/`);
        return res.ok ? pageConfigFrom(await res.text()) : undefined;
      } catch {
        return undefined;
      }
    },

    submit: (files, options, signal) => (files.length === 1 ? submitOne(files[0]!, options, signal).then((o) => [o]) : submitBatch(files, options, signal)),
    task: (id) => json<{ data: TaskDetails }>(`/api/tasks/${encodeURIComponent(id)}`).then((a) => a.data),
    result: (id) => json<{ data: TaskResult }>(`/api/tasks/${encodeURIComponent(id)}/result`).then((a) => a.data),
    list: ({ status, limit }) => {
      const query = new URLSearchParams();
      if (status) query.set('status', status);
      if (limit !== undefined) query.set('limit', String(limit));
      return json<TaskList>(`/api/tasks?${query.toString()}`);
    },
    cancel: (id) => json<ControlAnswer>(`/api/tasks/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    retry: (id) => json<ControlAnswer>(`/api/tasks/${encodeURIComponent(id)}/retry`, { method: 'POST' }),

    async exportTo(id, format, into) {
      // No timeout: a searchable PDF of many pages is made while we wait.
      const res = await send(`${base}/api/tasks/${encodeURIComponent(id)}/export?format=${format}`, { signal: null });
      if (!res.ok || !res.body) throw await refusal(res);
      // Standard output stays open for what is printed after the download.
      await pipeline(Readable.fromWeb(res.body), into, { end: into !== process.stdout });
    },
  };
}
