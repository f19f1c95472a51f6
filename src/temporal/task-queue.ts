/** What Temporal knows about the task queue's workers. */
import type { WorkflowService } from '@temporalio/client';

// Temporal's enum values (temporal.api.enums.v1): TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_ACTIVITY.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

export interface Poller { identity: string; lastAccessTime: Date | null; ratePerSecond: number }

/** Workers that polled the queue for activities lately: the server keeps a poller listed for a few minutes. */
export async function activityPollers(service: WorkflowService, namespace: string, taskQueue: string): Promise<Poller[]> {
  const res = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (res.pollers ?? []).map((p) => ({
    identity: p.identity ?? 'unknown',
    lastAccessTime: p.lastAccessTime?.seconds ? new Date(Number(p.lastAccessTime.seconds) * 1000) : null,
    ratePerSecond: p.ratePerSecond ?? 0,
  }));
}

/** Distinct workers (by identity, pid@host unless set) among those pollers. */
export async function countActivityWorkers(service: WorkflowService, namespace: string, taskQueue: string): Promise<number> {
  return new Set((await activityPollers(service, namespace, taskQueue)).map((p) => p.identity)).size;
}
