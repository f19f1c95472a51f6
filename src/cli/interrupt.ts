/**
 * What Ctrl-C during a submit does with the tasks already on the server. On a terminal it asks:
 * they may be worth keeping (the server goes on without us) or not (a wrong file, a wrong option).
 * Without a terminal nobody can answer, and cancelling is the one choice that cannot be undone, so
 * they are left running and their ids printed for `ocr status` / `ocr cancel`.
 */
import { isCancel, select } from '@clack/prompts';
import type { ApiClient } from './api-client.js';
import type { LocalFile } from './files.js';

export interface RunningTask { taskId: string; file: LocalFile }

export async function settleInterrupted(tasks: RunningTask[], api: ApiClient, interactive: boolean, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (tasks.length === 0) return;
  const count = `${tasks.length} task${tasks.length === 1 ? '' : 's'}`;
  let cancel = false;
  if (interactive) {
    const choice = await select({
      message: `Interrupted: ${count} still running on the server.`,
      options: [
        { value: 'leave', label: 'Leave them running', hint: 'follow them later with ocr status' },
        { value: 'cancel', label: 'Cancel them on the server', hint: 'pages already done are kept' },
      ],
      initialValue: 'leave',
    });
    // A second Ctrl-C at the question is no answer: nothing is cancelled.
    cancel = !isCancel(choice) && choice === 'cancel';
  }
  if (!cancel) {
    out.write(`interrupted: ${count} left running on the server (ocr status ID… to follow, ocr cancel ID to stop):\n`);
    for (const { taskId, file } of tasks) out.write(`${taskId}  ${file.path}\n`);
    return;
  }
  for (const { taskId, file } of tasks) {
    try {
      await api.cancel(taskId);
      out.write(`${taskId}  ${file.path}: cancelled\n`);
    } catch (err) {
      out.write(`${taskId}  ${file.path}: could not cancel: ${(err as Error).message}\n`);
    }
  }
}
