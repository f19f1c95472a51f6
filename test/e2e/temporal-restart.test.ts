/** kill -9 of the Temporal server in the middle of a PDF: after it restarts, the task completes. */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { freePort } from '../../src/main/processes.js';
import { startTemporalDevServer, type RunningDevServer } from '../../src/main/temporal-dev-server.js';
import { testEnv } from '../helpers/env.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const log = pino({ level: 'silent' });
let temporal: RunningDevServer | undefined;
let stack: Stack | undefined;
after(async () => {
  await stack?.stop();
  await temporal?.stop();
});

test('a PDF survives a SIGKILL of the Temporal server (state in SQLite) and completes once it is back', async () => {
  // This test's own server, keeping its state in a file as `ocr dev` does.
  const dir = await mkdtemp(path.join(testEnv.scratchDir, 'temporal-'));
  const port = await freePort();
  const serverOptions = { port, dbFile: path.join(dir, 'temporal.sqlite'), log };
  temporal = await startTemporalDevServer(serverOptions);
  stack = await startStack({ temporalAddress: temporal.address, env: { CONCURRENCY: '2', BATCH_SIZE: '3', PDF_DPI: '72' } });
  stack.stub.latencyMs = 700;

  const tags = pageTags(9, 700);
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags), 'doc.pdf');
  const taskId = String(body.task_id);
  await eventually(() => Promise.resolve(stack!.stub.calls.length >= 3 ? true : undefined), 'the first pages to be sent');

  process.kill(temporal.pid, 'SIGKILL');
  const storedAtKill = (await stack.pool.query<{ n: number }>('select count(*)::int as n from pages where task_id = $1', [taskId])).rows[0]!.n;
  assert.ok(storedAtKill < tags.length, 'the server died in the middle of the PDF');
  await temporal.stop(); // reaps the killed process
  temporal = await startTemporalDevServer(serverOptions);

  const task = await waitForTask(stack, taskId, 120_000);
  assert.equal(task.status, 'completed');
  const { rows } = await stack.pool.query<{ page_number: number; content: string }>(
    'select page_number, content from pages where task_id = $1 order by page_number', [taskId]);
  assert.deepEqual(rows.map((r) => [r.page_number, r.content]), tags.map((t, i) => [i + 1, stubMarkdown(t)]));
  // Pages in flight when the server died may be sent again (at most CONCURRENCY of them), no others.
  const sentTwice = tags.filter((t) => stack!.stub.callsFor(t).length > 1);
  assert.ok(sentTwice.length <= 2, `pages sent twice: ${sentTwice.join(', ')}`);
});
