/** A fresh database per test file, so files run in parallel and in any order. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testEnv } from './env.js';

export interface TestDatabase { url: string; name: string; drop(): Promise<void> }

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.adminDatabaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ocr_test_${testEnv.runPid}_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}"`));
  const url = new URL(testEnv.adminDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // KEEP_TEST_DATABASES=1 keeps them for inspection; the next run drops them.
    drop: async () => {
      if (!process.env.KEEP_TEST_DATABASES) await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
