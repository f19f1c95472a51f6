/** A WebSocket test client that records every server message and waits for the ones a test expects. */
import WebSocket from 'ws';

export interface WsMessage { type: string; timestamp: string; task_id?: string; [field: string]: unknown }

export interface WsClient {
  socket: WebSocket;
  /** Every message received so far, in order. */
  messages: WsMessage[];
  send(message: unknown): void;
  /** The first message (received already or later) after `from` that matches; fails after `timeoutMs`. */
  waitFor(match: (m: WsMessage) => boolean, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<WsMessage>;
  /** Resolves with the close code once the server (or the client) closed the connection. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export const ofType = (type: string, taskId?: string) => (m: WsMessage) => m.type === type && (taskId === undefined || m.task_id === taskId);

export async function connectWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const socket = new WebSocket(url, { headers });
  const messages: WsMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse((data as Buffer).toString('utf8')) as WsMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => {
    resolve(code);
    for (const wake of waiters) wake();
  }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitFor(match, what, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 20_000;
      let from = opts.from ?? 0;
      return new Promise((resolve, reject) => {
        const check = () => {
          for (; from < messages.length; from++) {
            if (match(messages[from]!)) {
              cleanup();
              return resolve(messages[from]!);
            }
          }
          if (socket.readyState === WebSocket.CLOSED) {
            cleanup();
            reject(new Error(`connection closed while waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.type))}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.type))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
}

/** ws://host:port/{PASSWORD}/ws for a stack's `api` URL. */
export const wsUrl = (api: string, clientId?: string) =>
  `${api.replace(/^http/, 'ws')}/ws${clientId ? `?client_id=${encodeURIComponent(clientId)}` : ''}`;
