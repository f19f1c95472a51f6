/**
 * The Temporal dev server (`temporal server start-dev`) for `ocr dev` and the tests: the CLI from
 * tools/bin (built by scripts/ensure-temporal.sh) or from PATH, started as a child process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { devServerSearchAttributeArgs } from '../temporal/search-attributes.js';
import { stopStaleProcess } from './processes.js';

const BUNDLED_CLI = fileURLToPath(new URL('../../tools/bin/temporal', import.meta.url));

export function findTemporalCli(): string {
  if (existsSync(BUNDLED_CLI)) return BUNDLED_CLI;
  const onPath = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  throw new Error('the Temporal CLI was not found: run `bash scripts/ensure-temporal.sh` (builds it with Go), put `temporal` on PATH, or set TEMPORAL_ADDRESS to an existing server');
}

export interface DevServerOptions {
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omitted = in memory. */
  dbFile?: string;
  /** Where to record the pid, so a server orphaned by kill -9 can be stopped next time. */
  pidFile?: string;
  namespace?: string;
  /** Register the tasks' search attributes (default true; a test turns it off to see the API add them). */
  searchAttributes?: boolean;
  log: Logger;
}

export interface RunningDevServer { address: string; pid: number; stop(): Promise<void> }

export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  if (opts.pidFile && (await stopStaleProcess(opts.pidFile, 'start-dev'))) {
    opts.log.warn('stopped a Temporal dev server left running by an earlier run');
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  // Registered in every namespace the server creates, so tasks are filterable in the Web UI at once.
  if (opts.searchAttributes !== false) args.push(...devServerSearchAttributeArgs());

  // Its own process group: a Ctrl-C in the terminal reaches only us, and our lifecycle stops the
  // server last, after the worker and the API (a server gone first fails their last calls).
  const child = spawn(findTemporalCli(), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (opts.pidFile && child.pid) await writeFile(opts.pidFile, `${child.pid}\n`);

  const address = `127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (opts.pidFile) await rm(opts.pidFile, { force: true });
  };

  if (await waitUntilServing(address, exited, 60_000)) {
    opts.log.info({ address, ui: opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined }, 'Temporal dev server started');
    return { address, pid: child.pid!, stop };
  }
  await stop();
  throw new Error(`the Temporal dev server did not start on ${address}: ${stderr.trim() || 'no output'}`);
}

/**
 * Resolves true once a Temporal frontend at `address` answers a health check, false if the server's
 * process ends first (port taken…) or `timeoutMs` passes.
 */
export async function waitUntilServing(address: string, exited: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => { dead = true; });
  while (!dead && Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.healthService.check({}));
        return true;
      } finally {
        await connection.close();
      }
    } catch {
      await sleep(200);
    }
  }
  return false;
}
