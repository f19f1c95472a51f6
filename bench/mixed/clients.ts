/**
 * The mixed scenario's clients of the API: the pollers' HTTP requests, the WebSocket tabs, and the
 * batch upload.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { connectWs, wsUrl, type WsClient, type WsMessage } from '../../test/helpers/ws-client.js';
import type { FileSpec } from './plan.js';

const execFileAsync = promisify(execFile);

/** Browser tabs, each one WebSocket subscribed to many tasks. */
const WS_TABS = 3;

/** Pollers' requests over kept-alive connections, as a browser's; each one's time to its last byte. */
export function createHttp(apiUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  let errors = 0;
  const get = (url: string, started = performance.now()): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('error', reject);
      res.on('end', () => {
        latencies.push(performance.now() - started);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    // The API closed a kept-alive connection just as it was reused: sent again, as browsers do.
    req.on('error', (err: NodeJS.ErrnoException) => (req.reusedSocket && err.code === 'ECONNRESET' ? resolve(get(url, started)) : reject(err)));
  });
  return {
    latencies,
    errors: () => errors,
    /** The task's status as GET /api/tasks/{id} answers it; undefined for an error answer. */
    async status(id: string): Promise<string | undefined> {
      const answer = await get(`${apiUrl}/api/tasks/${id}`).catch(() => ({ status: 0, body: '' }));
      if (answer.status === 200) return (JSON.parse(answer.body) as { data: { status: string } }).data.status;
      errors++;
      return undefined;
    },
    async post(route: string): Promise<number> {
      const res = await fetch(`${apiUrl}${route}`, { method: 'POST' });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => agent.destroy(),
  };
}

/**
 * The WebSocket tabs: each task is watched by one of them. Counts completed pages announced twice
 * (a page read again on purpose is expected again).
 */
export async function openTabs(apiUrl: string) {
  const tabs: WsClient[] = await Promise.all(Array.from({ length: WS_TABS }, (_, i) => connectWs(wsUrl(apiUrl, `bench-tab-${i + 1}`))));
  const waiters = new Map<string, (status: string) => void>();
  const completedPages = new Map<string, Set<number>>();
  const tabOf = new Map<string, WsClient>();
  let duplicates = 0;
  const onMessage = (m: WsMessage) => {
    if (!m.task_id) return;
    if (m.type === 'page_completed') {
      const { page_number: page, status } = m.data as { page_number: number; status: string };
      if (status !== 'completed') return;
      const seen = completedPages.get(m.task_id) ?? new Set<number>();
      if (seen.has(page)) duplicates++;
      completedPages.set(m.task_id, seen.add(page));
    } else if (m.type === 'task_completed' || m.type === 'task_failed' || m.type === 'task_cancelled') {
      const wake = waiters.get(m.task_id);
      waiters.delete(m.task_id);
      wake?.(m.status as string);
    }
  };
  for (const tab of tabs) tab.socket.on('message', (data: Buffer) => onMessage(JSON.parse(data.toString('utf8')) as WsMessage));
  let next = 0;
  /** The task's next outcome; register it before what causes it. */
  const nextOutcome = (id: string) => new Promise<string>((resolve) => waiters.set(id, resolve));
  return {
    nextOutcome,
    duplicates: () => duplicates,
    /** Subscribes (the snapshot tells an outcome that came first) and resolves with the first outcome. */
    watch(id: string): Promise<string> {
      const outcome = nextOutcome(id);
      const tab = tabs[next++ % tabs.length]!;
      tabOf.set(id, tab);
      tab.send({ type: 'subscribe_task', task_id: id });
      return outcome;
    },
    expectAgain: (id: string, page: number) => completedPages.get(id)?.delete(page),
    /** A tab unsubscribes from a task it has seen to the end, as the web page does: subscriptions per connection are limited. */
    forget(id: string) {
      tabOf.get(id)?.send({ type: 'unsubscribe_task', task_id: id });
      tabOf.delete(id);
    },
    close: () => Promise.all(tabs.map((t) => t.close())),
  };
}

export async function uploadBatch(apiUrl: string, files: FileSpec[]): Promise<Array<{ task_id: string; filename: string }>> {
  const fields = files.flatMap((f) => ['-F', `files=@${f.path};filename=${f.name}`]);
  const { stdout } = await execFileAsync('curl', ['-sS', ...fields, `${apiUrl}/api/async/batch`]);
  const body = JSON.parse(stdout) as { submitted_tasks?: Array<{ task_id: string; filename: string }>; failed_files?: unknown[]; detail?: string };
  if (!body.submitted_tasks || body.failed_files?.length) throw new Error(`batch upload failed: ${body.detail ?? JSON.stringify(body.failed_files)}`);
  return body.submitted_tasks;
}
