/**
 * The server commands of `ocr` (src/main/cli.ts dispatches): the composition roots. Each reads the
 * config once, starts what it needs in order, and on SIGINT/SIGTERM releases it in reverse order.
 *   dev      everything on one machine (embedded Postgres and Temporal dev server unless configured)
 *   api      the HTTP API only          worker   the Temporal worker only
 *   migrate  apply database migrations and exit
 *   retention run  delete what RETENTION_DAYS lets go now (what the daily schedule does), print it, exit
 *   webhook-secret  print a fresh WEBHOOK_SECRET and exit (needs no configuration)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { openDatabase } from './database.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { createLifecycle, stopOnSignals, type Lifecycle } from './lifecycle.js';
import { startTemporalDevServer } from './temporal-dev-server.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { freePort } from './processes.js';
import { createMetrics } from '../metrics/registry.js';
import { startMetricsServer } from '../metrics/server.js';
import { probe } from '../health.js';
import { newWebhookSecret } from '../webhooks/settings.js';
import { filesCacheDir } from '../store/files.js';
import { applyRetention, UNUSED_FILE_GRACE_HOURS } from '../tasks/retention.js';
import type { RetentionReport } from '../workflows/types.js';

const USAGE = 'usage: ocr <dev|api|worker|migrate|retention|webhook-secret|submit|status|result|cancel|retry|list|mcp> (ocr --help for more)';

function requireSetting(value: string | undefined, name: string, command: string): string {
  if (!value) throw new ConfigError([`${name} is required for \`ocr ${command}\` (only \`ocr dev\` starts its own)`]);
  return value;
}

/** Fills in DATABASE_URL and TEMPORAL_ADDRESS with embedded services where they are not set. */
async function withLocalServices(config: Config, log: Logger, lifecycle: Lifecycle): Promise<Config> {
  await mkdir(config.dataDir, { recursive: true });
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(config.dataDir, log);
    lifecycle.defer('embedded postgres', () => pg.stop());
    databaseUrl = pg.url;
  }
  let address = config.temporal.address;
  if (!address) {
    const temporal = await startTemporalDevServer({
      port: 7233,
      uiPort: 8233,
      // A file, not memory: workflows survive a restart of `ocr dev`.
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
      pidFile: path.join(config.dataDir, 'temporal.pid'),
      namespace: config.temporal.namespace,
      log,
    });
    lifecycle.defer('temporal dev server', () => temporal.stop());
    address = temporal.address;
  }
  return { ...config, databaseUrl, temporal: { ...config.temporal, address } };
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** What `ocr retention run` deletes, in a line (printed before it starts). */
function retentionScope(days: number): string {
  const files = `stored files no task uses (${UNUSED_FILE_GRACE_HOURS} hours after their last upload)`;
  return days === 0
    ? `RETENTION_DAYS=0: every task is kept; deleting ${files}`
    : `RETENTION_DAYS=${days}: deleting tasks finished more than ${days} days ago, then ${files}`;
}

/** One line per figure, for people and for scripts (`awk '$1 == "tasks" { print $2 }'`). */
function retentionLines(report: RetentionReport): string {
  return [`tasks ${report.tasks}`, `pages ${report.pages}`, `files ${report.files}`, `bytes ${report.bytes} (${megabytes(report.bytes)})`].join('\n');
}

/**
 * `ocr retention run`: the schedule's deletion, here and now, straight against Postgres (Temporal is
 * not needed). Ctrl-C stops it between two transactions; what it deleted until then is printed.
 */
async function runRetention(args: string[], config: Config, log: Logger, lifecycle: Lifecycle): Promise<void> {
  if (args.join(' ') !== 'run') throw new ConfigError(['usage: ocr retention run']);
  const pool = await openDatabase(requireSetting(config.databaseUrl, 'DATABASE_URL', 'retention run'), log, lifecycle);
  process.stdout.write(`${retentionScope(config.retentionDays)}\n`);
  const stop = new AbortController();
  const running = applyRetention(pool, { retentionDays: config.retentionDays }, { cacheDir: filesCacheDir(config), signal: stop.signal });
  // Registered after the pool, so released before it: a signal lets the transaction under way
  // finish, and only then is the pool closed.
  lifecycle.defer('retention run', async () => {
    stop.abort();
    await running.catch(() => {});
  });
  const report = await running;
  process.stdout.write(`${stop.signal.aborted ? 'stopped; deleted until then:' : 'deleted:'}\n${retentionLines(report)}\n`);
  if (stop.signal.aborted) process.exitCode = 130;
  await lifecycle.shutdown();
}

/**
 * The API (Koa, the OpenAPI document, KaTeX, the MCP server…) and the worker (the Temporal worker,
 * render threads) are loaded only by the commands that run them: a worker that loaded the API's
 * modules held about 10 MB more of V8 heap for nothing.
 */
const startApi: typeof import('./api.js').startApi = async (...args) => (await import('./api.js')).startApi(...args);
const startWorker: typeof import('./worker.js').startWorker = async (...args) => (await import('./worker.js')).startWorker(...args);

async function run(command: string, args: string[], config: Config, log: Logger, lifecycle: Lifecycle, sdkMetricsUrl?: string): Promise<void> {
  switch (command) {
    case 'dev': {
      const local = await withLocalServices(config, log, lifecycle);
      const pool = await openDatabase(local.databaseUrl!, log, lifecycle);
      // One process, one registry: the API's /metrics shows the worker's numbers too.
      const metrics = createMetrics();
      await startWorker(local, pool, log, lifecycle, { metrics });
      await startApi(local, pool, log, lifecycle, { metrics, sdkMetricsUrl });
      break;
    }
    case 'api': {
      const pool = await openDatabase(requireSetting(config.databaseUrl, 'DATABASE_URL', command), log, lifecycle);
      requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', command);
      await startApi(config, pool, log, lifecycle);
      break;
    }
    case 'worker': {
      const pool = await openDatabase(requireSetting(config.databaseUrl, 'DATABASE_URL', command), log, lifecycle);
      requireSetting(config.temporal.address, 'TEMPORAL_ADDRESS', command);
      const metrics = createMetrics();
      const worker = await startWorker(config, pool, log, lifecycle, { metrics });
      const server = await startMetricsServer({
        port: config.metrics.workerPort, metrics, sdkMetricsUrl, log,
        access: { password: config.http.password, public: config.metrics.public },
        health: async () => Object.fromEntries([
          ['worker', worker.getState() === 'RUNNING' ? 'ok' : worker.getState().toLowerCase()],
          await probe('database', () => pool.query('select 1')),
        ]),
      });
      lifecycle.defer('worker metrics', () => server.close());
      break;
    }
    case 'retention':
      await runRetention(args, config, log, lifecycle);
      break;
    case 'migrate': {
      await openDatabase(requireSetting(config.databaseUrl, 'DATABASE_URL', command), log, lifecycle);
      await lifecycle.shutdown();
      break;
    }
    default:
      throw new ConfigError([USAGE]);
  }
}

/** Runs a server command (with what follows it on the command line) to its end, then exits the process. */
export async function runServerCommand(command: string, args: string[] = []): Promise<void> {
  if (command === 'webhook-secret') {
    process.stdout.write(`${newWebhookSecret()}\n`);
    return;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const log = await createLogger(config.logLevel, config.logFormat);
  // Processes that run a worker export the SDK's metrics on a private port, appended to our /metrics.
  const sdkMetricsUrl = installTemporalRuntime(log, command === 'dev' || command === 'worker' ? await freePort() : undefined);
  const lifecycle = createLifecycle(log);
  stopOnSignals(lifecycle, log);
  try {
    await run(command, args, config, log, lifecycle, sdkMetricsUrl);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else log.fatal({ err }, `ocr ${command} failed to start`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
    await lifecycle.shutdown();
  }
  await lifecycle.done;
  // Some libraries keep handles open after release (gRPC channels): exit once everything is released.
  process.exit();
}

