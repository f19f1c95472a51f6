/**
 * README's first command as a newcomer runs it: a `git clone` of the committed HEAD, no
 * node_modules, nothing configured but the model (the stub) and a free PORT, then `npm start`. It must
 * install the locked dependencies itself, build, start embedded Postgres and a Temporal dev server,
 * answer /health, complete an image, log JSON lines (stdout is a pipe here), and stop cleanly on
 * Ctrl-C. The Temporal CLI the test runner uses is put on PATH so no Go build runs; npm reads its
 * cache first. Slow by nature (npm ci, the build, the shutdown): about 65 s on two cores.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/main/processes.js';
import { findTemporalCli } from '../../src/main/temporal-dev-server.js';
import { taggedImage } from '../helpers/images.js';
import { startModelStub, stubMarkdown, type ModelStub } from '../helpers/model-stub.js';
import { eventually, postFile } from '../helpers/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
// `ocr dev` starts its Temporal dev server on these fixed ports (src/main/cli.ts has no setting).
const DEV_SERVER_PORTS = [7233, 8233];
const PASSWORD = 'fresh-pw';
const API_KEY = 'sk-fresh-key';

let stub: ModelStub;
let workDir: string | undefined;
let child: ChildProcess | undefined;
let releaseLock: (() => Promise<void>) | undefined;
before(async () => {
  stub = await startModelStub();
});
after(async () => {
  // Whatever happened, nothing of the clone's keeps running.
  if (workDir) for (const pid of await processesIn(workDir)) process.kill(pid, 'SIGKILL');
  await stub?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  await releaseLock?.();
});

/**
 * Processes working inside `dir` (Linux /proc): npm, the shell, ocr, the Temporal dev server, and
 * every Postgres process (they run in the data directory, some in sessions of their own, so the
 * process group would not find them).
 */
async function processesIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(name));
  }
  return pids;
}

/**
 * Two runs of this test on one machine (two checkouts' `npm test`) would both want the dev server's
 * fixed ports, so they take turns. The lock is an abstract Unix socket (Linux): the kernel frees it
 * when its process dies, so a crashed run leaves no stale lock behind.
 */
async function lockDevServerPorts(timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = net.createServer();
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen({ path: '\0ocr-test-dev-server-ports' }, () => resolve(undefined));
    });
    if (!error) return () => new Promise<void>((resolve) => server.close(() => resolve()));
    if (error.code !== 'EADDRINUSE') return () => Promise.resolve(); // no abstract sockets here: no lock
    if (Date.now() > deadline) throw new Error(`another run of the fresh-clone test kept ports ${DEV_SERVER_PORTS.join(' and ')} for ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

async function portTaken(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

async function healthStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined;
  }
}

test('npm start on a fresh clone installs, builds, answers /health, completes an image and stops on Ctrl-C', { timeout: 20 * 60_000 }, async (t) => {
  releaseLock = await lockDevServerPorts(10 * 60_000);
  for (const port of DEV_SERVER_PORTS) {
    assert.ok(!(await portTaken(port)), `port ${port} is in use (an \`npm start\` running?): \`ocr dev\` needs it for its Temporal dev server; stop that and run again`);
  }
  // Readable by the `postgres` user too: as root, the embedded Postgres runs as that user.
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ocr-fresh-clone-'));
  await chmod(workDir, 0o755);
  const clone = path.join(workDir, 'ocr');
  const { stdout: head } = await run('git', ['-C', root, 'rev-parse', 'HEAD']);
  await run('git', ['clone', '--quiet', '--no-checkout', root, clone]);
  await run('git', ['-C', clone, 'checkout', '--quiet', head.trim()]);
  assert.ok(!existsSync(path.join(clone, 'node_modules')), 'a fresh clone has no node_modules');

  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const started = Date.now();
  // A newcomer's environment: no DATABASE_URL or TEMPORAL_ADDRESS, none of the outer npm's variables.
  child = spawn('npm', ['start'], {
    cwd: clone,
    // Its own process group, as a terminal gives a foreground command: Ctrl-C reaches all of it.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${path.dirname(findTemporalCli())}${path.delimiter}${process.env.PATH}`,
      HOME: process.env.HOME ?? os.homedir(),
      ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
      npm_config_prefer_offline: 'true',
      PORT: String(port),
      API_BASE_URL: stub.url,
      OPENAI_API_KEY: API_KEY,
      MODEL: 'stub-model',
      PASSWORD,
      LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child!.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => { exit = e; });

  await eventually(async () => {
    if (exit) throw new Error(`npm start exited (${exit.code ?? exit.signal}) before /health answered:\n${output}`);
    return (await healthStatus(`${origin}/health`)) === 200 ? true : undefined;
  }, '/health to answer 200', 15 * 60_000);
  const healthyAfter = (Date.now() - started) / 1000;
  assert.match(output, /ensure-deps: node_modules is missing: installing the locked dependencies/);

  const tag = 4242;
  const { status, body } = await postFile(`${origin}/${PASSWORD}/api/async/image`, await taggedImage(tag), 'fresh.png');
  assert.equal(status, 200, JSON.stringify(body));
  const result = await eventually(async () => {
    const res = await fetch(`${origin}/${PASSWORD}/api/tasks/${String(body.task_id)}`);
    const { data } = (await res.json()) as { data: { status: string } };
    return ['completed', 'partial', 'failed', 'cancelled'].includes(data.status) ? data : undefined;
  }, 'the image to finish', 60_000);
  assert.equal(result.status, 'completed');
  const { data } = (await (await fetch(`${origin}/${PASSWORD}/api/tasks/${String(body.task_id)}/result`)).json()) as { data: { content: string } };
  assert.equal(data.content, stubMarkdown(tag));

  // Ctrl-C: SIGINT to the whole foreground group (npm, the shell, ocr), as a terminal sends it.
  process.kill(-child.pid!, 'SIGINT');
  const interrupted = Date.now();
  const { code, signal } = await Promise.race([exited, sleep(60_000, undefined, { ref: false }).then(() => ({ code: null, signal: 'timeout' as const }))]);
  // ocr exits 0. Where /bin/sh is dash, the shell running the script got the SIGINT too and dies of
  // it once ocr is done, and npm then ends itself by SIGINT (a shell shows 130); with bash npm exits 0.
  const stoppedAt = Date.now();
  assert.ok(code === 0 || (code === null && signal === 'SIGINT'), `npm start ended with ${code ?? signal}:\n${output.slice(-3000)}`);
  assert.doesNotMatch(output, /"level":(50|60)/, 'no error logged');
  await eventually(async () => ((await processesIn(clone)).length === 0 ? true : undefined), 'every process of npm start to exit', 10_000);
  assert.ok(!existsSync(path.join(clone, 'data/temporal.pid')), 'the dev server was stopped');
  assert.ok(!existsSync(path.join(clone, 'data/postgres/postmaster.pid')), 'Postgres was stopped');

  // stdout is not a terminal: the service's lines are JSON (npm's own lines are not ours).
  const serviceLines = output.split('\n').filter((line) => line.startsWith('{'));
  const messages = serviceLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
  for (const msg of ['embedded Postgres started', 'Temporal dev server started', 'worker started', 'API listening', 'shutting down']) {
    assert.ok(messages.includes(msg), `a JSON line "${msg}" in:\n${output.slice(-3000)}`);
  }
  assert.ok(!/^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR)/m.test(output), 'no pretty lines');
  for (const secret of [PASSWORD, API_KEY]) assert.ok(!output.includes(secret), `${secret} never printed`);

  // The second run finds node_modules installed from this lock: nothing to do, nothing printed.
  const again = await run(process.execPath, ['scripts/ensure-deps.mjs'], { cwd: clone });
  assert.equal(again.stdout + again.stderr, '');
  t.diagnostic(`/health answered 200 ${healthyAfter.toFixed(0)} s after npm start (npm ci, build, start); ` +
    `${/ensure-deps: dependencies installed in (\d+) s/.exec(output)?.[1] ?? '?'} s of it npm ci; ` +
    `Ctrl-C to exit ${((stoppedAt - interrupted) / 1000).toFixed(1)} s`);
});
