/** The activity of retentionWorkflow: tasks/retention.ts with heartbeats, resumable and cancellable. */
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Pool } from '../store/pool.js';
import { applyRetention } from '../tasks/retention.js';
import type { RetentionInput, RetentionReport } from '../workflows/types.js';

export interface RetentionActivityDeps {
  pool: Pool;
  /** This worker's local copies of stored files (DATA_DIR/cache/files). */
  cacheDir: string;
  log: Logger;
}

export function createRetentionActivities({ pool, cacheDir, log }: RetentionActivityDeps) {
  return {
    /**
     * Deletes what retention lets go, heartbeating the totals after every transaction: a worker that
     * dies is noticed within the heartbeat timeout, and the next attempt starts from those totals
     * (the deletions themselves are simply looked for again), so the result counts the whole run.
     */
    async enforceRetention(input: RetentionInput): Promise<RetentionReport> {
      const ctx = Context.current();
      const startFrom = ctx.info.heartbeatDetails as RetentionReport | undefined;
      const report = await applyRetention(pool, input, {
        cacheDir, startFrom, signal: ctx.cancellationSignal, onProgress: (totals) => ctx.heartbeat(totals),
      });
      // Stopped between two transactions: what is deleted stays deleted, the rest waits for the next run.
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('retention cancelled');
      log.info({ ...input, ...report }, 'retention run finished');
      return report;
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
