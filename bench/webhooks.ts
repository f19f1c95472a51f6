/**
 * The webhooks scenario of `npm run bench`: many tasks finishing within a minute, each posting its
 * task.completed to a receiver that verifies it as a receiver would; how long from a task's end to
 * its event's arrival.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from '../src/contract/index.js';
import { newWebhookSecret } from '../src/webhooks/settings.js';
import { percentile } from './stats.js';

const secret = newWebhookSecret();

interface Run {
  tasks: number;
  /** Submits are spread evenly over this long. */
  overMs: number;
  /** The file every task reads. */
  image: string;
  submit(file: string, fields: Record<string, string>): Promise<string>;
  completedAt(taskId: string): Promise<Date>;
}

export const webhookFigures = {
  /** For the services under test. */
  env: { WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE: 'true' },

  async run(run: Run) {
    const verifier = new Webhook(secret);
    const arrived = new Map<string, number>();
    let signed = 0;
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        const payload = verifier.verify(Buffer.concat(chunks), req.headers as Record<string, string>) as WebhookPayload;
        signed++;
        if (!arrived.has(payload.data.task_id)) arrived.set(payload.data.task_id, at);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const started = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < run.tasks; i++) {
        await sleep(started + (i * run.overMs) / run.tasks - Date.now());
        ids.push(await run.submit(run.image, { webhook_url: url }));
      }
      const ends = await Promise.all(ids.map((id) => run.completedAt(id)));
      const spanS = (Math.max(...ends.map((d) => d.getTime())) - started) / 1000;
      const deadline = Date.now() + 60_000;
      while (arrived.size < ids.length && Date.now() < deadline) await sleep(100);
      const latencies = ids.flatMap((id, i) => (arrived.has(id) ? [arrived.get(id)! - ends[i]!.getTime()] : [])).sort((a, b) => a - b);
      return {
        tasks: ids.length, spanS, delivered: latencies.length, signed,
        p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: latencies.at(-1)!,
      };
    } finally {
      receiver.close();
    }
  },
};
