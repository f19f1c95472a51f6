/**
 * Live task progress over the API's WebSocket (README, "Live progress over a WebSocket").
 * Reconnects by itself — after a network drop, a server restart or a silent dead connection — with
 * backoff, and subscribes again to every watched task: the server answers each subscription with
 * the task's state so far, so the page catches up on whatever it missed.
 */
import type { ClientMessage, ServerMessage } from '../contract/index.js';

export type LiveState = 'connecting' | 'open' | 'reconnecting';
/** What the server sends (src/contract/websocket.ts). */
export type LiveMessage = ServerMessage;

export interface Live {
  /** The tasks to hear about; subscriptions follow this set across reconnects. */
  watch(taskIds: Iterable<string>): void;
  onMessage(listener: (message: LiveMessage) => void): void;
  /** `reconnected` is true when an earlier connection was lost (the page may refresh lists). */
  onState(listener: (state: LiveState, reconnected: boolean) => void): void;
  start(): void;
}

const PING_EVERY_MS = 15_000;
/** No message (not even a pong) for this long: the connection is dead even if no close came. */
const SILENCE_LIMIT_MS = 40_000;
const MAX_BACKOFF_MS = 10_000;

function randomId(): string {
  // crypto.randomUUID needs a secure context; a LAN address over http is not one.
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function createLive(prefix: string): Live {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}${prefix}/ws?client_id=web-${randomId()}`;
  const wanted = new Set<string>();
  const messageListeners = new Set<(message: LiveMessage) => void>();
  const stateListeners = new Set<(state: LiveState, reconnected: boolean) => void>();
  let socket: WebSocket | undefined;
  let state: LiveState = 'connecting';
  let attempts = 0;
  let everOpen = false;
  let retryTimer: number | undefined;
  let pingTimer: number | undefined;
  let lastHeard = 0;

  const setState = (next: LiveState, reconnected = false) => {
    if (next === state && !reconnected) return;
    state = next;
    for (const listener of stateListeners) listener(next, reconnected);
  };

  const send = (message: ClientMessage) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };

  /** Forgets the current socket without waiting for its closing handshake (offline, it never comes). */
  const drop = () => {
    const old = socket;
    socket = undefined;
    window.clearInterval(pingTimer);
    if (!old) return;
    old.onopen = old.onmessage = old.onclose = old.onerror = null;
    try {
      old.close();
    } catch {
      // already closing
    }
  };

  const scheduleReconnect = (delayMs?: number) => {
    drop();
    setState(everOpen ? 'reconnecting' : 'connecting');
    window.clearTimeout(retryTimer);
    const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts) * (0.75 + Math.random() / 2);
    attempts++;
    retryTimer = window.setTimeout(connect, delayMs ?? backoff);
  };

  function connect() {
    window.clearTimeout(retryTimer);
    drop();
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      const reconnected = everOpen;
      everOpen = true;
      attempts = 0;
      lastHeard = Date.now();
      for (const id of wanted) send({ type: 'subscribe_task', task_id: id });
      pingTimer = window.setInterval(() => {
        if (Date.now() - lastHeard > SILENCE_LIMIT_MS) return scheduleReconnect(0);
        send({ type: 'ping' });
      }, PING_EVERY_MS);
      setState('open', reconnected);
    };
    ws.onmessage = (event) => {
      lastHeard = Date.now();
      let message: LiveMessage;
      try {
        message = JSON.parse(String(event.data)) as LiveMessage;
      } catch {
        return;
      }
      for (const listener of messageListeners) listener(message);
    };
    ws.onclose = () => scheduleReconnect();
    ws.onerror = () => scheduleReconnect();
  }

  window.addEventListener('offline', () => scheduleReconnect());
  window.addEventListener('online', () => {
    if (state !== 'open') scheduleReconnect(0);
  });

  return {
    watch(taskIds) {
      const next = new Set(taskIds);
      for (const id of next) if (!wanted.has(id)) send({ type: 'subscribe_task', task_id: id });
      for (const id of wanted) if (!next.has(id)) send({ type: 'unsubscribe_task', task_id: id });
      wanted.clear();
      for (const id of next) wanted.add(id);
    },
    onMessage: (listener) => void messageListeners.add(listener),
    onState: (listener) => void stateListeners.add(listener),
    start: connect,
  };
}
