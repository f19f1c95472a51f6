/**
 * Where the client commands find the service: `--server` / `--password`, else OCR_SERVER /
 * OCR_PASSWORD from the environment, else from a `.env` in the working directory (the environment
 * wins over the file, as for the server's own settings), else the defaults of `npm start`.
 * Nothing of the server's configuration (DATABASE_URL …) is read: these commands only speak HTTP.
 */
import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { PASSWORD_PATTERN } from '../contract/index.js';
import { CliError, EXIT } from './exit-codes.js';

/** `npm start`'s address and PASSWORD. */
export const DEFAULT_SERVER = 'http://localhost:54188';
export const DEFAULT_PASSWORD = 'pwd';

export interface ServerSettings {
  /** The service's base URL without a trailing slash (it may have a path, behind a proxy). */
  server: string;
  /** '' when the service has no password. */
  password: string;
}

export interface ServerFlags { server?: string | undefined; password?: string | undefined }

function readDotenv(file: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(EXIT.usage, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function resolveServer(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env, dotenvPath = '.env'): ServerSettings {
  const file = flags.server !== undefined && flags.password !== undefined ? {} : readDotenv(dotenvPath);
  // An empty OCR_SERVER is not set (as for the server's variables); an empty password is no password.
  const server = (flags.server || env.OCR_SERVER || file.OCR_SERVER || DEFAULT_SERVER).replace(/\/+$/, '');
  const password = flags.password ?? env.OCR_PASSWORD ?? file.OCR_PASSWORD ?? DEFAULT_PASSWORD;
  if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol)) {
    throw new CliError(EXIT.usage, `--server must be an http:// or https:// URL such as ${DEFAULT_SERVER} (got "${server}")`);
  }
  // It travels as a path segment: the server accepts nothing else as PASSWORD either.
  if (!PASSWORD_PATTERN.test(password)) {
    throw new CliError(EXIT.usage, 'the password may only hold letters, digits and . _ ~ - (the server accepts no other PASSWORD)');
  }
  return { server, password };
}
