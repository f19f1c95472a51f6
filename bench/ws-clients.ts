/**
 * A worker thread of WebSocket clients for bench/ws-load.ts: each client connects, subscribes to one
 * task and timestamps every message it receives. The publisher writes each event's publish time
 * into shared memory under its sequence number (carried as page_number), so lag is measured here
 * against the same clock without any per-message traffic back to the publisher.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

export interface ClientsData { url: string; clients: Array<{ clientId: string; taskId: string }>; publishTimes: SharedArrayBuffer }
export type ClientsCommand = { cmd: 'reset' } | { cmd: 'count' } | { cmd: 'collect' } | { cmd: 'close' };
export type ClientsReport =
  | { kind: 'ready'; connectMs: number }
  | { kind: 'count'; pages: number; progress: number; lastReceive: number }
  | { kind: 'collected'; pageLags: Float64Array; progressLags: Float64Array; outOfOrder: number; unmatched: number; errors: number; closed: number; lastReceive: number }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string };

const { url, clients, publishTimes } = workerData as ClientsData;
const published = new Float64Array(publishTimes);
const port = parentPort!;
const now = () => performance.timeOrigin + performance.now();

interface Stats { pageLags: number[]; progressLags: number[]; outOfOrder: number; unmatched: number; errors: number; closed: number; lastReceive: number }
const fresh = (): Stats => ({ pageLags: [], progressLags: [], outOfOrder: 0, unmatched: 0, errors: 0, closed: 0, lastReceive: 0 });
let stats = fresh();
let closing = false;

interface ServerMessage { type: string; data?: { page_number?: number } }

function connect(clientId: string, taskId: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url}?client_id=${clientId}`);
  // The sequence number of the last page_completed: the task_progress that follows it belongs to it.
  let lastSeq = 0;
  let ready = false;
  return new Promise((resolve, reject) => {
    // Before the subscription is complete an error fails the run; after it, the close is counted.
    socket.on('error', (err) => {
      if (!ready) reject(err);
    });
    socket.on('close', () => {
      if (!closing) stats.closed++;
    });
    socket.on('message', (raw: WebSocket.RawData) => {
      const at = now();
      // binaryType is the default 'nodebuffer': a message arrives as one Buffer.
      const message = JSON.parse((raw as Buffer).toString()) as ServerMessage;
      switch (message.type) {
        case 'connection_established':
          socket.send(JSON.stringify({ type: 'subscribe_task', task_id: taskId }));
          return;
        case 'page_completed': {
          const seq = message.data?.page_number ?? 0;
          if (seq <= lastSeq) stats.outOfOrder++;
          lastSeq = seq;
          stats.pageLags.push(at - published[seq]!);
          stats.lastReceive = at;
          return;
        }
        case 'task_progress':
          // The first one is the snapshot that completes the subscription.
          if (!ready) {
            ready = true;
            return resolve(socket);
          }
          if (lastSeq === 0) stats.unmatched++;
          else stats.progressLags.push(at - published[lastSeq]!);
          stats.lastReceive = at;
          return;
        case 'error':
          stats.errors++;
          return;
      }
    });
  });
}

const sockets: WebSocket[] = [];
try {
  const started = now();
  // Fifty handshakes at a time: a realistic reconnect storm, not a SYN flood.
  for (let i = 0; i < clients.length; i += 50) {
    sockets.push(...(await Promise.all(clients.slice(i, i + 50).map((c) => connect(c.clientId, c.taskId)))));
  }
  port.postMessage({ kind: 'ready', connectMs: now() - started } satisfies ClientsReport);
} catch (err) {
  port.postMessage({ kind: 'failed', message: (err as Error).message } satisfies ClientsReport);
}

port.on('message', (command: ClientsCommand) => {
  switch (command.cmd) {
    case 'reset':
      stats = fresh();
      return port.postMessage({ kind: 'count', pages: 0, progress: 0, lastReceive: 0 } satisfies ClientsReport);
    case 'count':
      return port.postMessage({ kind: 'count', pages: stats.pageLags.length, progress: stats.progressLags.length, lastReceive: stats.lastReceive } satisfies ClientsReport);
    case 'collect': {
      const pageLags = new Float64Array(new ArrayBuffer(8 * stats.pageLags.length));
      pageLags.set(stats.pageLags);
      const progressLags = new Float64Array(new ArrayBuffer(8 * stats.progressLags.length));
      progressLags.set(stats.progressLags);
      const report: ClientsReport = { ...stats, kind: 'collected', pageLags, progressLags };
      return port.postMessage(report, [pageLags.buffer, progressLags.buffer]);
    }
    case 'close':
      closing = true;
      for (const socket of sockets) socket.close();
      port.postMessage({ kind: 'closed' } satisfies ClientsReport);
      return port.close();
  }
});
