/** What Temporal knows about the task queue's workers. */
import type { WorkflowService } from '@temporalio/client';

// Temporal's enum values (temporal.api.enums.v1): TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_ACTIVITY.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/**
 * Distinct workers (by identity, pid@host unless set) that polled the queue for activities lately:
 * the server keeps a poller listed for a few minutes after its last poll.
 */
export async function countActivityWorkers(service: WorkflowService, namespace: string, taskQueue: string): Promise<number> {
  const res = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
  });
  return new Set((res.pollers ?? []).map((p) => p.identity)).size;
}
