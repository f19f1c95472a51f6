/** Routes the Temporal SDK's own logs (worker state, bundler) into our pino logger. */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

// The SDK's INFO lines (bundler statistics, worker state changes) are routine: keep them at debug.
const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'debug', WARN: 'warn', ERROR: 'error',
};

/**
 * Call once per process, before the first worker or native connection is created. With
 * `metricsPort`, the SDK's own metrics (polls, task slots, schedule-to-start latency…) are exported
 * on 127.0.0.1 only: our /metrics appends them, so each process has one scrape target.
 * Returns their URL.
 */
export function installTemporalRuntime(log: Logger, metricsPort?: number): string | undefined {
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const bindAddress = metricsPort === undefined ? undefined : `127.0.0.1:${metricsPort}`;
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => sdkLog[LEVELS[entry.level]]({ ...entry.meta }, entry.message)),
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true } } } } : {}),
  });
  return bindAddress ? `http://${bindAddress}/metrics` : undefined;
}
