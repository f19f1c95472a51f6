/**
 * Task events from workers to every API process, through Postgres NOTIFY. A notification is sent in
 * the same transaction as the change it describes, so it is delivered exactly when the change is
 * visible. It is only a hint: a listener that was disconnected re-reads state from the tables.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { TaskEvent } from '../contract/index.js';
import type { Queryable } from './pool.js';

export const EVENTS_CHANNEL = 'ocr_task_events';

/** Queues the event for delivery when the surrounding transaction commits (at once outside one). */
export async function notifyTaskEvent(db: Queryable, event: TaskEvent): Promise<void> {
  // Postgres limits a payload to 8000 bytes; events carry ids and counts, never content.
  await db.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(event)]);
}

export interface EventListener {
  /** Resolves once the first LISTEN is in place. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface ListenerOptions {
  onEvent: (event: TaskEvent) => void;
  /** After a lost connection is back: events may have been missed, re-read what matters. */
  onReconnect?: () => void;
  log: Logger;
  /** Longest wait between reconnection attempts. */
  maxDelayMs?: number;
}

/** LISTENs on a dedicated connection and reconnects with backoff whenever it is lost. */
export function listenForTaskEvents(connectionString: string, opts: ListenerOptions): EventListener {
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let connectedOnce = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });

  const scheduleReconnect = () => {
    if (stopped || timer) return;
    const delay = Math.min(opts.maxDelayMs ?? 30_000, 250 * 2 ** attempt++);
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
  };

  const connect = async () => {
    const next = new pg.Client({ connectionString });
    client = next;
    // A background loop must never crash the process: every failure ends in a reconnect.
    next.on('error', (err) => {
      opts.log.warn({ err: err.message }, 'event listener connection failed');
      scheduleReconnect();
    });
    next.on('end', scheduleReconnect);
    next.on('notification', (message) => {
      if (!message.payload) return;
      try {
        opts.onEvent(JSON.parse(message.payload) as TaskEvent);
      } catch (err) {
        opts.log.error({ err }, 'could not handle a task event');
      }
    });
    try {
      await next.connect();
      await next.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'event listener could not connect');
      await next.end().catch(() => {});
      scheduleReconnect();
      return;
    }
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    attempt = 0;
    if (connectedOnce) {
      opts.log.info('event listener reconnected');
      opts.onReconnect?.();
    }
    connectedOnce = true;
    markReady();
  };

  void connect();
  return {
    ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
