/**
 * `npm test`: starts what every test file shares — a Temporal dev server (in memory), a Postgres to
 * create per-file databases in, one workflow bundle — then runs node's test runner over the test
 * files (or the files given as arguments) and stops everything. Nothing is downloaded here.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { bundleWorkflowCode } from '@temporalio/worker';
import { adminDatabase } from './helpers/services.js';
import { freePort } from '../src/main/processes.js';
import { startTemporalDevServer } from '../src/main/temporal-dev-server.js';
import { createLifecycle, stopOnSignals } from '../src/main/lifecycle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
// Every release step runs even if another fails, and Ctrl-C releases too: no orphaned servers.
const lifecycle = createLifecycle(log);
stopOnSignals(lifecycle, log);
const scratch = await mkdtemp(path.join(os.tmpdir(), 'ocr-test-'));
lifecycle.defer('scratch', () => rm(scratch, { recursive: true, force: true }));

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.test.ts')).map((e) => path.join(e.parentPath, e.name)).sort();
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Test databases of earlier runs that were kept (failed runs) or orphaned. Each name carries the pid
 * of the run that made it, so runs going on at the same time keep theirs.
 */
async function dropStaleDatabases(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'ocr_test_%'`);
  for (const { datname } of rows) {
    const pid = Number(/^ocr_test_(\d+)_/.exec(datname)?.[1]);
    if (pid && isAlive(pid)) continue;
    await client.query(`drop database if exists "${datname}" with (force)`);
  }
  await client.end();
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : await testFiles(path.join(root, 'test'));
const started = Date.now();
const temporal = await startTemporalDevServer({ port: await freePort(), log });
lifecycle.defer('temporal', () => temporal.stop());
const database = await adminDatabase(scratch, log);
lifecycle.defer('embedded postgres', () => database.embedded?.stop());
await dropStaleDatabases(database.url);
// webpack's statistics are noise here; warnings and errors still show.
const quiet = () => {};
const bundle = await bundleWorkflowCode({
  workflowsPath: path.join(root, 'src/workflows/index.ts'),
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: (m, meta) => log.warn(meta ?? {}, m), error: (m, meta) => log.error(meta ?? {}, m) },
});
const bundlePath = path.join(scratch, 'workflow-bundle.js');
await writeFile(bundlePath, bundle.code);
console.log(`# shared services ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${temporal.address})`);

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  // Its own process group, so stopping it reaches every test file's process and what they spawned.
  detached: true,
  env: {
    ...process.env,
    OCR_TEST_TEMPORAL_ADDRESS: temporal.address,
    OCR_TEST_ADMIN_DATABASE_URL: database.url,
    OCR_TEST_WORKFLOW_BUNDLE: bundlePath,
    OCR_TEST_SCRATCH: scratch,
    OCR_TEST_RUN_PID: String(process.pid),
  },
});
lifecycle.defer('test processes', () => {
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
});
const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));

await lifecycle.shutdown();
console.log(`# npm test finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
