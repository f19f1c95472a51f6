/**
 * The REST API as the page uses it. Errors carry the server's `detail` (shown to people as text)
 * and `code`; a network failure is an ApiError with status 0.
 */
import type { AsyncSubmitted, ErrorBody, Models, TaskList, TaskResult, TaskStatus } from '../contract/index.js';
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string, readonly code = '') {
    super(detail);
    this.name = 'ApiError';
  }
}

export type { TaskSummary } from '../contract/index.js';

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as Partial<ErrorBody>;
    if (typeof body.detail === 'string') return new ApiError(res.status, body.detail, typeof body.code === 'string' ? body.code : '');
  } catch {
    // not our JSON error shape
  }
  return new ApiError(res.status, `HTTP ${res.status}`);
}

export interface Api {
  /** The prefixed URL of an API path, e.g. exportUrl for a download link. */
  url(path: string): string;
  listTasks(query: { limit: number; offset: number; status?: TaskStatus | '' }): Promise<TaskList>;
  getResult(id: string): Promise<TaskResult>;
  cancel(id: string): Promise<void>;
  retry(id: string): Promise<void>;
  /** Reads one page of a finished task again. */
  retryPage(id: string, pageNumber: number): Promise<void>;
  /** The page as the model saw it, `width` pixels across (an <img> source). */
  pageImageUrl(id: string, pageNumber: number, width: number): string;
  remove(id: string): Promise<void>;
  /** `options`: the task options (multipart fields beside the file), only those that are set. */
  upload(file: Blob, fileName: string, kind: 'image' | 'pdf', options: Record<string, string>, onProgress: (fraction: number) => void): Promise<AsyncSubmitted>;
  models(): Promise<Models>;
}

/** `prefix` is "/{PASSWORD}" or ""; uploads go to `uploadOrigin` (BACK_URL) when set. */
export function createApi(prefix: string, uploadOrigin: string): Api {
  const url = (path: string) => `${prefix}${path}`;

  async function call<T>(method: string, path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url(path), { method, cache: 'no-store', headers: { accept: 'application/json' } });
    } catch {
      throw new ApiError(0, t('error.network'));
    }
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  const taskPath = (id: string) => `/api/tasks/${encodeURIComponent(id)}`;

  return {
    url,
    listTasks({ limit, offset, status }) {
      const query = new URLSearchParams({ limit: String(limit), offset: String(offset) });
      if (status) query.set('status', status);
      return call<TaskList>('GET', `/api/tasks?${query.toString()}`);
    },
    async getResult(id) {
      return (await call<{ data: TaskResult }>('GET', `${taskPath(id)}/result`)).data;
    },
    async cancel(id) {
      await call('POST', `${taskPath(id)}/cancel`);
    },
    async retry(id) {
      await call('POST', `${taskPath(id)}/retry`);
    },
    async retryPage(id, pageNumber) {
      await call('POST', `${taskPath(id)}/pages/${pageNumber}/retry`);
    },
    pageImageUrl: (id, pageNumber, width) => url(`${taskPath(id)}/pages/${pageNumber}/image?width=${width}`),
    async remove(id) {
      await call('DELETE', taskPath(id));
    },
    models: () => call<Models>('GET', '/api/models'),
    // XMLHttpRequest rather than fetch: it reports upload progress.
    upload(file, fileName, kind, options, onProgress) {
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${uploadOrigin}${url(`/api/async/${kind}`)}`);
        xhr.responseType = 'json';
        xhr.upload.addEventListener('progress', (e) => {
          if (e.lengthComputable) onProgress(e.loaded / e.total);
        });
        xhr.addEventListener('load', () => {
          const body = (xhr.response ?? {}) as Partial<ErrorBody>;
          if (xhr.status === 200) return resolve(xhr.response as AsyncSubmitted);
          const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${xhr.status}`;
          reject(new ApiError(xhr.status, detail, typeof body.code === 'string' ? body.code : ''));
        });
        xhr.addEventListener('error', () => reject(new ApiError(0, t('error.network'))));
        const form = new FormData();
        for (const [name, value] of Object.entries(options)) form.append(name, value);
        form.append('file', file, fileName);
        xhr.send(form);
      });
    },
  };
}
