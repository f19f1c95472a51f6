/**
 * The process logger (pino), one per process, never secrets: JSON lines on stdout, or readable lines
 * (pino-pretty) when LOG_FORMAT=pretty or, unset, when stdout is a terminal (`npm start` by hand).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export async function createLogger(level: Config['logLevel'], format: Config['logFormat'], name = 'ocr'): Promise<Logger> {
  const options: LoggerOptions = {
    name,
    level,
    // Belt and braces: nothing we log should carry these, but if an object slips through, mask them.
    // Redaction happens before either format sees the line.
    redact: { paths: ['*.apiKey', '*.password', '*.authorization', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
  };
  if ((format ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'json') return pino(options);
  // Loaded only here: services in containers log JSON and need not carry it in memory.
  const { default: pretty } = await import('pino-pretty');
  // sync: written in the calling thread like the JSON lines, so the last lines before an exit (a
  // fatal start-up error, the shutdown) are never lost in a transport's worker thread.
  return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
