/** LOG_FORMAT: readable lines on a terminal (or when asked), JSON lines otherwise; no secrets either way. */
import assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnService } from '../helpers/processes.js';
import { startStack, type Stack } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// util-linux `script` runs a command on a pseudo-terminal: the only way to give a child a TTY stdout.
const hasScript = spawnSync('script', ['--version']).status === 0;

let stack: Stack;
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];
before(async () => {
  stack = await startStack({ worker: false });
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const db of databases) await db.drop();
  await stack?.stop();
});

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

test('LOG_FORMAT=pretty: readable lines, requests included, no password or API key', async () => {
  const api = await spawnService(stack, 'api', { LOG_FORMAT: 'pretty' });
  children.push(api.child);
  const origin = `http://127.0.0.1:${api.port}`;
  await fetch(`${origin}/test-pw/api/tasks`);
  await fetch(`${origin}/test-px/api/tasks`); // a mistyped password
  await fetch(`${origin}/test-pw/api/tasks/not-a-task`, { headers: { authorization: 'Bearer test-pw' } });

  const lines = api.output().split('\n').filter(Boolean);
  assert.ok(lines.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(ocr\): API listening/.test(l)), api.output());
  assert.ok(lines.filter((l) => /INFO \(ocr\): request/.test(l)).length >= 3, 'one line per request');
  assert.ok(!lines.some(isJson), 'no JSON lines');
  for (const secret of ['test-pw', 'test-px', 'sk-test-key']) assert.ok(!api.output().includes(secret), `${secret} never logged`);
});

/** `ocr migrate` on a new database (it logs the migrations it applied) with stdout on a terminal. */
async function migrateOnTerminal(env: Record<string, string>): Promise<string> {
  const db = await createTestDatabase();
  databases.push(db);
  const { stdout } = await promisify(execFile)('script', ['-qec', 'node --import tsx src/main/cli.ts migrate', '/dev/null'], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, PASSWORD: 'test-pw', OPENAI_API_KEY: 'sk-test-key', LOG_LEVEL: 'info', ...env },
    timeout: 60_000,
  });
  return stdout.replaceAll('\r', '');
}

test('on a terminal, LOG_FORMAT unset gives readable lines and LOG_FORMAT=json keeps JSON', { skip: !hasScript && 'needs util-linux `script` for a pseudo-terminal' }, async () => {
  const pretty = await migrateOnTerminal({});
  // ANSI colours on a terminal: strip them to read the line.
  // eslint-disable-next-line no-control-regex
  assert.match(pretty.replace(/\x1b\[[\d;]*m/g, ''), /^\[[\d:.]+\] INFO \(ocr\): database migrated$/m);

  const json = (await migrateOnTerminal({ LOG_FORMAT: 'json' })).split('\n').filter(Boolean);
  assert.ok(json.length > 0 && json.every(isJson), json.join('\n'));
  assert.ok(json.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'database migrated'));
});
