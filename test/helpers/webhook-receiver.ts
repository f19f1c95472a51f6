/**
 * A webhook receiver for tests: a real HTTP server on port 0 that checks every request's signature
 * with `standardwebhooks`, as a receiver would, and records it. Per path, a script of answers makes
 * it fail (any status, with headers), hang, or drop the connection; `down()` stops listening (a
 * receiver that is down) and `up()` listens again on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from '../../src/contract/index.js';
import { eventually } from './eventually.js';

export type ReceiverAnswer = { status: number; headers?: Record<string, string> } | 'hang' | 'drop';

export interface Received {
  path: string;
  id: string;
  timestamp: number;
  /** When it arrived (ms). */
  at: number;
  payload: WebhookPayload;
  raw: string;
  headers: http.IncomingHttpHeaders;
  /** What the receiver answered. */
  answer: ReceiverAnswer;
}

export interface WebhookReceiver {
  url(path: string): string;
  /** Answers for the next requests to `path`, in order; then 200. */
  script(path: string, answers: ReceiverAnswer[]): void;
  /** Every request whose signature verified, in order of arrival. */
  received: Received[];
  /** Requests whose signature did not verify (a test asserts there are none). */
  rejected: Array<{ path: string; error: string }>;
  at(path: string): Received[];
  /** Waits until `path` has had at least `count` requests. */
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<Received[]>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const scripts = new Map<string, ReceiverAnswer[]>();
  const received: Received[] = [];
  const rejected: WebhookReceiver['rejected'] = [];
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      let payload: WebhookPayload;
      try {
        payload = verifier.verify(raw, req.headers as Record<string, string>) as WebhookPayload;
      } catch (err) {
        rejected.push({ path, error: (err as Error).message });
        res.writeHead(400).end();
        return;
      }
      const answer = scripts.get(path)?.shift() ?? { status: 200 };
      received.push({
        path, id: String(req.headers['webhook-id']), timestamp: Number(req.headers['webhook-timestamp']), at: Date.now(), payload, raw, headers: req.headers, answer,
      });
      if (answer === 'hang') hanging.add(res);
      else if (answer === 'drop') req.socket.destroy();
      else res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stop = () => new Promise<void>((resolve) => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    server.close(() => resolve());
    server.closeAllConnections();
  });

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    script: (path, answers) => scripts.set(path, [...answers]),
    received,
    rejected,
    at: (path) => received.filter((r) => r.path === path),
    waitFor: (path, count = 1, timeoutMs = 30_000) => eventually(() => {
      const got = received.filter((r) => r.path === path);
      return got.length >= count ? got : undefined;
    }, `${count} webhook request(s) at ${path}`, timeoutMs, 50),
    down: stop,
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: stop,
  };
}
