/**
 * `ocr worker` and `ocr api` as their own processes, started the way an operator would, against a
 * test stack's database, Temporal task queue and model stub.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/main/processes.js';
import { testEnv } from './env.js';
import type { Stack } from './stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The line a worker logs once it polls (an API is ready when /healthz answers, at any LOG_LEVEL). */
const WORKER_READY = '"worker started"';

export interface Service {
  child: ChildProcess;
  port: number;
  /** Everything it wrote so far. */
  output(): string;
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Resolves once the process is ready; rejects if it exits first. */
export async function spawnService(stack: Stack, command: 'api' | 'worker', env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', command], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: stack.config.temporal.address,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      API_BASE_URL: stack.stub.url,
      OPENAI_API_KEY: 'sk-test-key',
      MODEL: 'stub-model',
      PASSWORD: stack.config.http.password,
      PORT: String(port),
      DATA_DIR: await mkdtemp(path.join(testEnv.scratchDir, `${command}-`)),
      LOG_LEVEL: 'info',
      // Workers of parallel tests must not compete for the default metrics port.
      METRICS_PORT: '0',
      ...env,
    },
  });
  let output = '';
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  let exited = false;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (command === 'worker' && output.includes(WORKER_READY)) resolve();
    });
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`${command} exited with ${code}: ${output}`));
    });
    if (command === 'api') {
      void (async () => {
        while (!exited && !(await healthy(port))) await sleep(100);
        resolve();
      })();
    }
  });
  return { child, port, output: () => output };
}
