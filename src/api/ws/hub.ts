/**
 * The WebSocket hub of one API process: connections by client_id, their task subscriptions, and the
 * fan-out of task events (from Postgres NOTIFY, so every API process sees every worker's events).
 *
 * Ordering: everything that concerns one task — a subscriber's snapshot, an event, a re-read after
 * the listener reconnected — runs in that task's own queue, in arrival order. So a snapshot is never
 * sent after a newer event, and progress a client sees never goes backwards.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { CLOSE_REPLACED, isFinalStatus, type FinalTaskStatus, type PageCompletedEvent, type ServerMessage, type TaskEvent } from '../../contract/index.js';
import { listPages, type PageRow } from '../../store/pages.js';
import type { Queryable } from '../../store/pool.js';
import { getTask, type TaskRow } from '../../store/tasks.js';
import * as msg from './messages.js';
import type { Pricing } from '../../pricing.js';
import { parseClientMessage, PROTOCOL_ERRORS, type ProtocolError } from './protocol.js';

export interface TaskHubOptions {
  db: Queryable;
  /** MODEL_PRICES, so task views here show the same cost as over HTTP. */
  pricing: Pricing;
  log: Logger;
  /** How often the server pings; a connection that missed a whole interval's pong is dropped. */
  pingIntervalMs?: number;
  maxSubscriptionsPerClient?: number;
  /** A client this far behind is dropped rather than buffered without end; it reconnects and catches up. */
  maxBufferedBytes?: number;
}

/** What one client has been told about one task, so nothing is announced twice. */
interface Subscription { started: boolean; outcome: FinalTaskStatus | null; counts: string }

const countsOf = (task: TaskRow) => `${task.processed_pages}/${task.failed_pages}/${task.total_pages}`;

interface Client {
  id: string;
  socket: WebSocket;
  tasks: Map<string, Subscription>;
  alive: boolean;
}

export interface HubStats {
  active_connections: number;
  total_task_subscriptions: number;
  unique_subscribed_tasks: number;
  heartbeat_interval: number;
  running: boolean;
}

export interface TaskHub {
  accept(socket: WebSocket, clientId: string): void;
  /** A task event from the listener. */
  onEvent: (event: TaskEvent) => void;
  /** After the listener was disconnected: events may be lost, so every watched task is re-read. */
  resync: () => void;
  stats(): HubStats;
  close(): Promise<void>;
}

export function createTaskHub(opts: TaskHubOptions): TaskHub {
  const { db, log } = opts;
  const pingIntervalMs = opts.pingIntervalMs ?? 30_000;
  const maxSubscriptions = opts.maxSubscriptionsPerClient ?? 1000;
  const maxBufferedBytes = opts.maxBufferedBytes ?? 8 * 1024 * 1024;

  const clients = new Map<string, Client>();
  /** Subscribers by task id. */
  const watchers = new Map<string, Set<Client>>();
  /** The last known row of each watched task: page events update its counts for progress and ETA. */
  const rows = new Map<string, TaskRow>();
  const queues = new Map<string, Promise<void>>();
  let running = true;

  const send = (client: Client, data: string) => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    if (client.socket.bufferedAmount > maxBufferedBytes) {
      log.warn({ clientId: client.id }, 'websocket client too slow: dropped');
      client.socket.terminate();
      return;
    }
    client.socket.send(data);
  };
  const reply = (client: Client, message: ServerMessage) => send(client, JSON.stringify(message));
  const replyError = (client: Client, error: ProtocolError) => reply(client, msg.protocolError(error.code, error.message, error.task_id));

  /** Runs `work` after everything queued before for this task; failures are logged, never thrown. */
  const enqueue = (taskId: string, work: () => void | Promise<void>) => {
    const next = (queues.get(taskId) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      log.error({ err, taskId }, 'websocket task update failed');
    });
    queues.set(taskId, next);
    void next.then(() => {
      if (queues.get(taskId) === next) queues.delete(taskId);
    });
  };

  const readTask = async (taskId: string): Promise<{ task: TaskRow; pages: PageRow[] } | undefined> => {
    const task = await getTask(db, taskId);
    if (!task) return undefined;
    // Pages matter only for an outcome message: failed page numbers, and an image's preview.
    const pages = isFinalStatus(task.status) ? await listPages(db, taskId, { withContent: task.task_type === 'image_ocr' }) : [];
    return { task, pages };
  };

  /** Brings one subscriber up to the task's current state. */
  const catchUp = (client: Client, sub: Subscription, task: TaskRow, pages: PageRow[]) => {
    if (task.status !== 'pending' && !sub.started) {
      reply(client, msg.taskStarted(task));
      sub.started = true;
    }
    if (sub.counts !== countsOf(task)) {
      reply(client, msg.taskProgress(task));
      sub.counts = countsOf(task);
    }
    const status = task.status;
    if (isFinalStatus(status) && sub.outcome !== status) {
      reply(client, msg.taskFinished({ ...task, status }, pages, opts.pricing));
      sub.outcome = status;
    }
  };

  const subscribersOf = (taskId: string) => [...(watchers.get(taskId) ?? [])];

  /** Re-reads a watched task and brings all its subscribers up to date. */
  const refresh = (taskId: string, restarted = false) => enqueue(taskId, async () => {
    if (!watchers.has(taskId)) return;
    const found = await readTask(taskId);
    if (!found) {
      for (const client of subscribersOf(taskId)) {
        replyError(client, PROTOCOL_ERRORS.taskNotFound(taskId));
        unsubscribe(client, taskId);
      }
      return;
    }
    rows.set(taskId, found.task);
    for (const client of subscribersOf(taskId)) {
      const sub = client.tasks.get(taskId)!;
      // A retry starts the task again: its start and outcome are news once more.
      if (restarted) Object.assign(sub, { started: false, outcome: null, counts: '' });
      catchUp(client, sub, found.task, found.pages);
    }
  });

  const onPageCompleted = (event: PageCompletedEvent) => enqueue(event.task_id, () => {
    const row = rows.get(event.task_id);
    const subscribers = subscribersOf(event.task_id);
    if (!row || subscribers.length === 0) return;
    Object.assign(row, {
      status: row.status === 'pending' ? 'processing' : row.status,
      processed_pages: event.progress.processed,
      failed_pages: event.progress.failed,
      total_pages: event.progress.total,
    });
    // Serialised once for all subscribers of the task.
    const page = JSON.stringify(msg.pageCompleted(event));
    const progress = JSON.stringify(msg.taskProgress(row));
    const counts = countsOf(row);
    for (const client of subscribers) {
      send(client, page);
      send(client, progress);
      client.tasks.get(event.task_id)!.counts = counts;
    }
  });

  const subscribe = (client: Client, taskId: string) => {
    if (!client.tasks.has(taskId) && client.tasks.size >= maxSubscriptions) {
      replyError(client, PROTOCOL_ERRORS.tooManySubscriptions(maxSubscriptions));
      return;
    }
    const sub: Subscription = { started: false, outcome: null, counts: '' };
    client.tasks.set(taskId, sub);
    const set = watchers.get(taskId) ?? new Set<Client>();
    set.add(client);
    watchers.set(taskId, set);
    reply(client, msg.taskSubscribed(taskId));
    // The snapshot: whatever happened between the HTTP submit and now.
    enqueue(taskId, async () => {
      if (client.tasks.get(taskId) !== sub) return;
      const found = await readTask(taskId);
      // The client may have left, or subscribed anew, while the task was read.
      if (client.tasks.get(taskId) !== sub) return;
      if (!found) {
        replyError(client, PROTOCOL_ERRORS.taskNotFound(taskId));
        unsubscribe(client, taskId);
        return;
      }
      rows.set(taskId, found.task);
      catchUp(client, sub, found.task, found.pages);
    });
  };

  const unsubscribe = (client: Client, taskId: string) => {
    client.tasks.delete(taskId);
    const set = watchers.get(taskId);
    set?.delete(client);
    if (set?.size === 0) {
      watchers.delete(taskId);
      rows.delete(taskId);
    }
  };

  const sendStatus = (client: Client, taskId: string) => {
    void (async () => {
      const task = await getTask(db, taskId);
      if (!task) return replyError(client, PROTOCOL_ERRORS.taskNotFound(taskId));
      reply(client, msg.taskStatusResponse(task, await listPages(db, taskId, { withContent: false }), opts.pricing));
    })().catch((err: unknown) => {
      log.error({ err, taskId }, 'websocket get_task_status failed');
      replyError(client, PROTOCOL_ERRORS.internal());
    });
  };

  const onMessage = (client: Client, data: WebSocket.RawData, isBinary: boolean) => {
    client.alive = true;
    if (isBinary) return replyError(client, PROTOCOL_ERRORS.notText());
    // Text frames arrive as one Buffer (the server's default binaryType).
    const parsed = parseClientMessage((data as Buffer).toString('utf8'));
    if ('error' in parsed) return replyError(client, parsed.error);
    switch (parsed.type) {
      case 'ping':
        return reply(client, msg.pong());
      case 'subscribe_task':
        return subscribe(client, parsed.task_id);
      case 'unsubscribe_task':
        unsubscribe(client, parsed.task_id);
        return reply(client, msg.taskUnsubscribed(parsed.task_id));
      case 'get_task_status':
        return sendStatus(client, parsed.task_id);
    }
  };

  const drop = (client: Client) => {
    for (const taskId of [...client.tasks.keys()]) unsubscribe(client, taskId);
    if (clients.get(client.id) === client) clients.delete(client.id);
  };

  // Browsers answer protocol pings by themselves, so a silent but healthy client is never dropped;
  // one that missed a whole interval's pong is gone (dropped within two intervals).
  const heartbeat = setInterval(() => {
    for (const client of clients.values()) {
      if (!client.alive) {
        log.info({ clientId: client.id }, 'websocket client stopped answering pings: dropped');
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }, pingIntervalMs);
  heartbeat.unref();

  return {
    accept(socket, clientId) {
      const client: Client = { id: clientId, socket, tasks: new Map(), alive: true };
      const previous = clients.get(clientId);
      if (previous) {
        // As in the old service: a reused client_id replaces the older connection.
        drop(previous);
        previous.socket.close(CLOSE_REPLACED, 'replaced by a newer connection with the same client_id');
      }
      clients.set(clientId, client);
      socket.on('pong', () => { client.alive = true; });
      socket.on('message', (data, isBinary) => onMessage(client, data, isBinary));
      socket.on('close', () => drop(client));
      socket.on('error', (err) => log.debug({ err: err.message, clientId }, 'websocket error'));
      reply(client, msg.connectionEstablished(clientId, pingIntervalMs));
    },

    onEvent(event) {
      if (!watchers.has(event.task_id)) return;
      if (event.type === 'page_completed') onPageCompleted(event);
      else refresh(event.task_id, event.type === 'task_started');
    },

    resync() {
      for (const taskId of watchers.keys()) refresh(taskId);
    },

    stats() {
      let subscriptions = 0;
      for (const client of clients.values()) subscriptions += client.tasks.size;
      return {
        active_connections: clients.size,
        total_task_subscriptions: subscriptions,
        unique_subscribed_tasks: watchers.size,
        heartbeat_interval: pingIntervalMs / 1000,
        running,
      };
    },

    async close() {
      running = false;
      clearInterval(heartbeat);
      const open = [...clients.values()].map((c) => c.socket);
      await Promise.all(open.map((socket) => new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(1001, 'server shutting down');
        // A peer that does not complete the closing handshake is cut off.
        setTimeout(() => socket.terminate(), 1000).unref();
      })));
    },
  };
}
