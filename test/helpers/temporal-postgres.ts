/**
 * The production Temporal of docker-compose.yml for a test file: the Temporal server built from
 * source and backed by Postgres (persistence and SQL visibility), set up and started by
 * scripts/temporal-postgres.sh with compose's own scripts, on two databases of its own in the test
 * Postgres and on ports of its own. Unlike the shared dev server, it can be killed and started again.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freeLowPort } from '../../src/main/processes.js';
import { waitUntilServing } from '../../src/main/temporal-dev-server.js';
import { testEnv } from './env.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = 'scripts/temporal-postgres.sh';
const execFileAsync = promisify(execFile);

/** Each service's gRPC and membership ports: the template's defaults (7233…, 6933…) may be in use. */
const PORTS = ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT'] as const;

export interface PostgresTemporal {
  address: string;
  /** The server's pid (the script execs it). */
  readonly pid: number;
  /** Starts the server again on the same databases, after `kill`. */
  start(): Promise<void>;
  /** kill -9, and waits for the process to be gone. */
  kill(): Promise<void>;
  /** Stops the server and drops its databases. */
  stop(): Promise<void>;
}

export async function startPostgresTemporal(): Promise<PostgresTemporal> {
  const admin = new URL(testEnv.adminDatabaseUrl);
  // Named like the run's other databases, so a failed run's are dropped by the next one.
  const prefix = `ocr_test_${testEnv.runPid}_${randomBytes(3).toString('hex')}`;
  const databases = { DBNAME: `${prefix}_temporal`, VISIBILITY_DBNAME: `${prefix}_temporal_visibility` };
  const ports: Record<string, string> = {};
  for (const name of PORTS) ports[name] = String(await freeLowPort());
  const env = {
    ...process.env,
    TEMPORAL_DB_HOST: admin.hostname, TEMPORAL_DB_PORT: admin.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(admin.username), TEMPORAL_DB_PASSWORD: decodeURIComponent(admin.password),
    ...databases, ...ports, LOG_LEVEL: 'error',
  };
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
  const dropDatabases = async () => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      for (const name of Object.values(databases)) await client.query(`drop database if exists "${name}" with (force)`);
    } finally {
      await client.end();
    }
  };

  let server: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = '';
  const start = async () => {
    output = '';
    const child = spawn('bash', [script, 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    exited = new Promise((resolve) => child.once('exit', resolve));
    server = child;
    if (!(await waitUntilServing(address, exited, 90_000))) {
      child.kill('SIGKILL');
      throw new Error(`the Postgres-backed Temporal server did not start on ${address}: ${output.trim() || 'no output'}`);
    }
  };
  const alive = () => server !== undefined && server.exitCode === null && server.signalCode === null;

  try {
    await execFileAsync('bash', [script, 'setup'], { cwd: root, env });
    await start();
    await execFileAsync('bash', [script, 'namespace'], { cwd: root, env: { ...env, TEMPORAL_ADDRESS: address } });
  } catch (err) {
    if (alive()) server!.kill('SIGKILL');
    await exited;
    await dropDatabases();
    throw err;
  }
  return {
    address,
    get pid() { return server!.pid!; },
    start,
    async kill() {
      server!.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) {
        server!.kill('SIGTERM');
        const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await dropDatabases();
    },
  };
}
