/** A task stored but never started (the API died in between) is started by the next API. */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { storeFile } from '../../src/store/files.js';
import { getTask, insertTask } from '../../src/store/tasks.js';
import { createTaskLifecycle } from '../../src/tasks/lifecycle.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
let connection: Connection;
before(async () => {
  stack = await startStack();
  connection = await Connection.connect({ address: testEnv.temporalAddress });
});
after(async () => {
  await connection?.close();
  await stack?.stop();
});

/** Stores an image task the way the API does, minus the workflow start; `ageSeconds` backdates it. */
async function insertPendingTask(tag: number, ageSeconds: number): Promise<string> {
  const bytes = await taggedImage(tag);
  const file = path.join(stack.config.dataDir, `stranded-${tag}.png`);
  await writeFile(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await storeFile(stack.pool, file, { sha256, sizeBytes: bytes.length, mimeType: 'image/png' });
  const id = randomUUID();
  await insertTask(stack.pool, { id, taskType: 'image_ocr', fileName: 'lost.png', fileSize: bytes.length, fileSha256: sha256, mimeType: 'image/png', totalPages: 1, metadata: {}, warnings: [], options: {} });
  await stack.pool.query(`update tasks set created_at = now() - make_interval(secs => $2) where id = $1`, [id, ageSeconds]);
  return id;
}

test('pending tasks older than a minute get their workflow; younger ones and finished ones are left alone', async () => {
  const lost = await insertPendingTask(1, 300);
  const young = await insertPendingTask(2, 0);
  const temporal = new Client({ connection, namespace: stack.config.temporal.namespace });
  const tasks = createTaskLifecycle({ pool: stack.pool, temporal, config: stack.config, log: pino({ level: 'silent' }) });

  assert.equal(await tasks.recoverStranded(), 1);
  const task = await waitForTask(stack, lost);
  assert.equal(task.status, 'completed');
  const { body } = await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${lost}/result`);
  assert.equal(body.data.content, stubMarkdown(1));

  assert.equal((await getTask(stack.pool, young))?.status, 'pending', 'a task just submitted is not touched');
  assert.equal(stack.stub.callsFor(2).length, 0);
  assert.equal(await tasks.recoverStranded(), 0, 'nothing left to start');
  assert.equal(stack.stub.callsFor(1).length, 1);
});
