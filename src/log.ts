/** The process logger: JSON lines on stdout (pino), never secrets. */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(level: Config['logLevel'], name = 'ocr'): Logger {
  return pino({
    name,
    level,
    // Belt and braces: nothing we log should carry these, but if an object slips through, mask them.
    redact: { paths: ['*.apiKey', '*.password', '*.authorization', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
