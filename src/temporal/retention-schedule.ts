/**
 * The Temporal Schedule that runs retention daily (`ocr-retention` for the default task queue),
 * brought in line with RETENTION_DAYS by every worker at start-up: created or updated when it is
 * above 0, deleted at 0. An operator pauses, resumes or triggers it in the Web UI or with
 * `temporal schedule pause|unpause|trigger --schedule-id ocr-retention`; a worker's update keeps a
 * pause.
 */
import {
  ScheduleAlreadyRunning, ScheduleClient, ScheduleNotFoundError, ScheduleOverlapPolicy,
  type ConnectionLike, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec,
} from '@temporalio/client';
import type { Logger } from 'pino';
import { RETENTION_WORKFLOW, retentionScheduleId, type RetentionInput } from '../workflows/types.js';

export interface RetentionScheduleSettings { namespace: string; taskQueue: string; retentionDays: number }

/** 03:00 UTC: a quiet hour for most, and the same for every worker whatever its time zone. */
const DAILY: ScheduleSpec = { calendars: [{ hour: 3, minute: 0 }], timezone: 'UTC' };

// Overlap skip: a run still going at the next 03:00 (a first run on years of tasks) is not joined by
// a second one deleting the same rows. A server down at 03:00 catches up within the day, once.
const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;

function action(settings: RetentionScheduleSettings): ScheduleOptionsStartWorkflowAction<(input: RetentionInput) => Promise<unknown>> {
  return {
    type: 'startWorkflow',
    workflowType: RETENTION_WORKFLOW,
    args: [{ retentionDays: settings.retentionDays }],
    taskQueue: settings.taskQueue,
    // Temporal adds each run's time: ocr-retention-2025-06-01T03:00:00Z.
    workflowId: retentionScheduleId(settings.taskQueue),
  };
}

/** Creates, updates or deletes the schedule; what it did. Throws when Temporal refuses. */
export async function syncRetentionSchedule(connection: ConnectionLike, settings: RetentionScheduleSettings): Promise<'created' | 'updated' | 'deleted' | 'absent'> {
  const schedules = new ScheduleClient({ connection, namespace: settings.namespace });
  const scheduleId = retentionScheduleId(settings.taskQueue);
  const handle = schedules.getHandle(scheduleId);
  if (settings.retentionDays === 0) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'absent';
      throw err;
    }
  }
  const note = `RETENTION_DAYS=${settings.retentionDays}: tasks finished more than ${settings.retentionDays} days ago, and stored files no task uses, are deleted daily`;
  try {
    await schedules.create({ scheduleId, spec: DAILY, action: action(settings), policies: POLICIES, state: { note } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // Another worker's start, or an earlier one: its settings give way to this worker's, but a pause
  // (an operator's) stays, with its note.
  await handle.update((previous) => ({
    ...previous,
    spec: DAILY,
    action: action(settings),
    policies: POLICIES,
    state: previous.state.paused ? { paused: true, note: previous.state.note } : { paused: false, note },
  }));
  return 'updated';
}

/**
 * syncRetentionSchedule at a worker's start, bounded and never throwing: a server that refuses only
 * costs the daily run (logged with what to do), not the worker.
 */
export async function ensureRetentionSchedule(connection: ConnectionLike, settings: RetentionScheduleSettings, log: Logger): Promise<void> {
  const scheduleId = retentionScheduleId(settings.taskQueue);
  try {
    const done = await connection.withDeadline(Date.now() + 15_000, () => syncRetentionSchedule(connection, settings));
    if (done !== 'absent') log.info({ scheduleId, retentionDays: settings.retentionDays }, `retention schedule ${done}`);
  } catch (err) {
    log.error({ err, scheduleId, retentionDays: settings.retentionDays },
      'could not bring the retention schedule in line with RETENTION_DAYS: nothing is deleted daily until a worker starts that can (`ocr retention run` deletes meanwhile)');
  }
}
