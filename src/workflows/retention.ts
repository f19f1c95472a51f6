/**
 * retentionWorkflow: one retention run, started daily by the `ocr-retention` schedule (the worker
 * creates it: temporal/retention-schedule.ts) or at once with `temporal schedule trigger`. A single
 * activity does the work in small transactions, heartbeating, so the run's history stays a handful
 * of events however much it deletes.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention.js';
import type { RetentionInput, RetentionReport } from './types.js';

const { enforceRetention } = proxyActivities<RetentionActivities>({
  // A first run on a database kept for years may take long; a dead worker is noticed by the missing
  // heartbeats much sooner, and the next attempt resumes from the last one's totals.
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '2 minutes',
  // Postgres away for a while (a restart, a failover): try again, and give up before the next day's run.
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 8 },
});

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionReport> {
  return enforceRetention(input);
}
