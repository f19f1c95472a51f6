/** Applies the numbered files in sql/ once each, safely when several processes start at once. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withClient, type Pool } from './pool.js';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
// An arbitrary constant shared by every process of this service: whoever holds the lock migrates,
// the others wait and then find nothing left to do.
const MIGRATION_LOCK_ID = 72_311_905;

export interface Migration { version: number; name: string; sql: string }

export async function readMigrations(dir = SQL_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => /^\d+_.+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => ({ version: Number.parseInt(name, 10), name, sql: await readFile(path.join(dir, name), 'utf8') })),
  );
}

/** Returns the names of the migrations this call applied. */
export async function migrate(pool: Pool, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return withClient(pool, async (client) => {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await client.query(`create table if not exists schema_migrations (
        version int primary key, name text not null, applied_at timestamptz not null default now())`);
      const { rows } = await client.query<{ version: number }>('select version from schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const applied: string[] = [];
      for (const m of all.filter((m) => !done.has(m.version))) {
        await client.query('begin');
        try {
          await client.query(m.sql);
          await client.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => {});
          throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.name);
      }
      return applied;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    }
  });
}
