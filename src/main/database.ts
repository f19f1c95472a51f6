/** Opens the pool and brings the schema up to date: every process does this first. */
import type { Logger } from 'pino';
import { migrate } from '../store/migrate.js';
import { createPool, type Pool } from '../store/pool.js';
import type { Lifecycle } from './lifecycle.js';

export async function openDatabase(url: string, log: Logger, lifecycle: Lifecycle): Promise<Pool> {
  const pool = createPool(url);
  lifecycle.defer('postgres pool', () => pool.end());
  const applied = await migrate(pool);
  if (applied.length > 0) log.info({ applied }, 'database migrated');
  return pool;
}
