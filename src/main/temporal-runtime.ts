/** Routes the Temporal SDK's own logs (worker state, bundler) into our pino logger. */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

// The SDK's INFO lines (bundler statistics, worker state changes) are routine: keep them at debug.
const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'debug', WARN: 'warn', ERROR: 'error',
};

/** Call once per process, before the first worker or native connection is created. */
export function installTemporalRuntime(log: Logger): void {
  const sdkLog = log.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => sdkLog[LEVELS[entry.level]]({ ...entry.meta }, entry.message)),
  });
}
