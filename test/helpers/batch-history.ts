/** What a task's workflow history says about its ocrBatch activities (the scale-out tests). */
import type { Client } from '@temporalio/client';

export interface BatchRun { identity: string }

/** The workflow's ocrBatch activities: who ran each, and the most scheduled and not yet closed at once. */
export async function batchHistory(client: Client, taskId: string): Promise<{ runs: BatchRun[]; maxOpen: number }> {
  const history = await client.workflow.getHandle(taskId).fetchHistory();
  const batchIds = new Set<string>();
  const runs: BatchRun[] = [];
  let open = 0;
  let maxOpen = 0;
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'ocrBatch') {
      batchIds.add(id);
      maxOpen = Math.max(maxOpen, ++open);
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started && batchIds.has(String(started.scheduledEventId))) runs.push({ identity: started.identity ?? '' });
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes
      ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    if (closed && batchIds.has(String(closed.scheduledEventId))) open--;
  }
  return { runs, maxOpen };
}
