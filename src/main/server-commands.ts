/**
 * The server commands of `ocr` (src/main/cli.ts dispatches): the composition roots. Each reads the
 * config once, starts what it needs in order, and on SIGINT/SIGTERM releases it in reverse order.
 *   dev      everything on one machine (embedded Postgres and Temporal dev server unless configured)
 *   api      the HTTP API only          worker   the Temporal worker only
 *   migrate  apply database migrations and exit
 *   webhook-secret  print a fresh WEBHOOK_SECRET and exit (needs no configuration)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { openDatabase } from './database.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { createLifecycle, stopOnSignals, type Lifecycle } from './lifecycle.js';
import { startApi } from './api.js';
import { startTemporalDevServer } from './temporal-dev-server.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { startWorker } from './worker.js';
import { freePort } from './processes.js';
import { createMetrics } from '../metrics/registry.js';
import { startMetricsServer } from '../metrics/server.js';
import { probe } from '../health.js';
import { newWebhookSecret } from '../webhooks/settings.js';

const USAGE = 'usage: ocr <dev|api|worker|migrate|webhook-secret|submit|status|result|cancel|retry|list|mcp> (ocr --help for more)';

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

async function run(command: string, config: Config, log: Logger, lifecycle: Lifecycle, sdkMetricsUrl?: string): Promise<void> {
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
    case 'migrate': {
      await openDatabase(requireSetting(config.databaseUrl, 'DATABASE_URL', command), log, lifecycle);
      await lifecycle.shutdown();
      break;
    }
    default:
      throw new ConfigError([USAGE]);
  }
}

/** Runs a server command to its end, then exits the process. */
export async function runServerCommand(command: string): Promise<void> {
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
    await run(command, config, log, lifecycle, sdkMetricsUrl);
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

