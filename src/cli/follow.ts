/**
 * Following tasks over the WebSocket (/{PASSWORD}/ws, contract/websocket.ts): subscribe to each,
 * hand every server message on. The connection is a hint channel like the server's own LISTEN: when
 * it drops it is opened again with backoff and every task is subscribed anew, and the server's
 * snapshot on subscribe brings each up to date, so nothing that happened meanwhile is lost.
 */
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../contract/index.js';

export interface FollowHandlers {
  message(message: ServerMessage): void;
  /** The connection came up, or went down (and is being opened again). */
  connection(up: boolean, why?: string): void;
}

export interface Follower {
  add(taskId: string): void;
  /** No more messages wanted for this task. */
  drop(taskId: string): void;
  readonly connected: boolean;
  close(): Promise<void>;
}

const MAX_BACKOFF_MS = 5000;
/** A connection that heard nothing (not even the server's ping) for this long is dead: open another. */
const SILENCE_FACTOR = 2.5;

export function followTasks(url: string, handlers: FollowHandlers): Follower {
  const tasks = new Set<string>();
  let socket: WebSocket | undefined;
  let closing = false;
  let connected = false;
  let backoffMs = 250;
  let retryTimer: NodeJS.Timeout | undefined;
  let lastHeard = Date.now();
  let heartbeatMs = 30_000;

  const send = (message: ClientMessage) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };

  const watchdog = setInterval(() => {
    if (connected && Date.now() - lastHeard > heartbeatMs * SILENCE_FACTOR) socket?.terminate();
  }, 5000);
  watchdog.unref();

  function connect() {
    const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
    socket = ws;
    const heard = () => { lastHeard = Date.now(); };
    ws.on('open', () => {
      connected = true;
      backoffMs = 250;
      heard();
      handlers.connection(true);
      for (const taskId of tasks) send({ type: 'subscribe_task', task_id: taskId });
    });
    ws.on('ping', heard);
    ws.on('message', (data) => {
      heard();
      let message: ServerMessage;
      try {
        message = JSON.parse((data as Buffer).toString('utf8')) as ServerMessage;
      } catch {
        return; // not ours to act on
      }
      if (message.type === 'connection_established') heartbeatMs = message.heartbeat_interval * 1000;
      handlers.message(message);
    });
    let why = '';
    // 'error' comes before 'close' (a refused connection, a failed handshake): its message says why.
    ws.on('error', (err) => { why = err.message; });
    ws.on('close', (code) => {
      const wasUp = connected;
      connected = false;
      if (closing) return;
      if (wasUp || backoffMs === 250) handlers.connection(false, why || `closed with code ${code}`);
      retryTimer = setTimeout(connect, backoffMs);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    });
  }
  connect();

  return {
    add(taskId) {
      if (tasks.has(taskId)) return;
      tasks.add(taskId);
      send({ type: 'subscribe_task', task_id: taskId });
    },
    drop(taskId) {
      if (!tasks.delete(taskId)) return;
      send({ type: 'unsubscribe_task', task_id: taskId });
    },
    get connected() {
      return connected;
    },
    async close() {
      closing = true;
      clearInterval(watchdog);
      clearTimeout(retryTimer);
      const ws = socket;
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(1000);
        // A server that does not finish the closing handshake is not waited for.
        setTimeout(() => { ws.terminate(); resolve(); }, 1000).unref();
      });
    },
  };
}
