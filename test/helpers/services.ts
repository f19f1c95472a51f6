/** Shared infrastructure for the test runner and the benchmarks: a Postgres to create databases in. */
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/main/embedded-postgres.js';

/** The machine's Postgres if it answers (CI and developers' machines), else an embedded one under `dir`. */
export async function adminDatabase(dir: string, log: Logger): Promise<{ url: string; embedded?: RunningPostgres }> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return { url };
  } catch {
    console.log(`# no Postgres at ${url.replace(/\/\/[^@]*@/, '//')}: starting an embedded one`);
    const embedded = await startEmbeddedPostgres(path.join(dir, 'pg'), log);
    return { url: embedded.url, embedded };
  }
}
