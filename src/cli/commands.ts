/**
 * The small client commands: `ocr status [ID…]`, `ocr result ID`, `ocr cancel ID…`, `ocr retry ID…`
 * and `ocr list`. Each checks the password first (a wrong one would otherwise look like "no such
 * task"), then speaks one route per task; a task the server refuses is one line on standard error
 * and exit 1, the others still done.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { RUNNING_TASK_STATUSES, type TaskStatus, type TaskSummary } from '../contract/index.js';
import { ApiError, createApiClient, type ApiClient, type ExportFormat } from './api-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { resolveServer, type ServerFlags } from './settings.js';
import { formatCost, formatPages, formatTable, formatTaskTime, formatTokens } from './summary.js';

export interface ListFlags extends ServerFlags { json?: boolean; status?: TaskStatus | undefined; limit?: number | undefined }

async function connect(flags: ServerFlags): Promise<ApiClient> {
  const api = createApiClient(resolveServer(flags));
  await api.checkAccess();
  return api;
}

/** Runs `each` for every id; a refusal is reported and counted, anything else ends the command. */
async function forEach(ids: string[], each: (id: string) => Promise<void>): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  for (const id of ids) {
    try {
      await each(id);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      process.stderr.write(`ocr: ${id}: ${err.status === 404 ? 'no such task' : err.message}\n`);
      code = EXIT.failed;
    }
  }
  return code;
}

const TASK_COLUMNS = ['ID', 'STATUS', 'PAGES', 'TOKENS', 'COST', 'TIME', 'FILE'];
const taskRow = (t: TaskSummary) => [t.id, t.status, formatPages(t), formatTokens(t), formatCost(t), formatTaskTime(t), t.file_name];

function printTasks(tasks: TaskSummary[], json: boolean | undefined) {
  if (json) process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
  else if (tasks.length === 0) process.stdout.write('no tasks\n');
  else process.stdout.write(`${formatTable(TASK_COLUMNS, tasks.map(taskRow))}\n`);
}

/** The named tasks, or without ids the ones still running. */
export async function statusCommand(ids: string[], flags: ListFlags): Promise<ExitCode> {
  const api = await connect(flags);
  if (ids.length === 0) {
    const lists = await Promise.all(RUNNING_TASK_STATUSES.map((status) => api.list({ status, limit: 1000 })));
    printTasks(lists.flatMap((l) => l.data), flags.json);
    return EXIT.ok;
  }
  const tasks: TaskSummary[] = [];
  const code = await forEach(ids, async (id) => { tasks.push(await api.task(id)); });
  if (tasks.length > 0) printTasks(tasks, flags.json);
  return code;
}

export async function listCommand(flags: ListFlags): Promise<ExitCode> {
  const api = await connect(flags);
  const list = await api.list({ status: flags.status, limit: flags.limit });
  printTasks(list.data, flags.json);
  if (!flags.json && list.pagination.total > list.data.length) process.stderr.write(`(${list.data.length} of ${list.pagination.total}; --limit N for more)\n`);
  return EXIT.ok;
}

/** The export route's body, as it is, to a file (complete or not at all) or to standard output. */
export async function resultCommand(id: string, flags: ServerFlags & { format: ExportFormat; out?: string | undefined }): Promise<ExitCode> {
  const api = await connect(flags);
  return forEach([id], async () => {
    if (!flags.out) return api.exportTo(id, flags.format, process.stdout);
    const part = `${flags.out}.part`;
    try {
      await api.exportTo(id, flags.format, createWriteStream(part));
      await rename(part, flags.out);
    } finally {
      await rm(part, { force: true });
    }
  });
}

export async function cancelCommand(ids: string[], flags: ServerFlags): Promise<ExitCode> {
  const api = await connect(flags);
  return forEach(ids, async (id) => {
    await api.cancel(id);
    process.stdout.write(`${id}: cancellation requested (pages already done are kept)\n`);
  });
}

export async function retryCommand(ids: string[], flags: ServerFlags): Promise<ExitCode> {
  const api = await connect(flags);
  return forEach(ids, async (id) => {
    const answer = await api.retry(id);
    const pages = answer.retried_pages;
    process.stdout.write(`${id}: retrying ${pages === undefined ? 'the failed pages' : `${pages} failed page${pages === 1 ? '' : 's'}`}\n`);
  });
}
