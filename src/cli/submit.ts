/**
 * `ocr submit FILE|DIR|GLOB…`: checks the files and the server, uploads (upload-plan.ts), follows
 * every task over the WebSocket (follow.ts; a poll stands in while it is down), downloads each
 * result from the export route as it is ready, and ends with a table and an exit code: 0 only when
 * every file completed. Ctrl-C is settled by interrupt.ts.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { isFinalStatus, RESULT_STATUSES, type FinalTaskStatus, type ServerMessage, type TaskSummary } from '../contract/index.js';
import { ApiError, createApiClient, type ApiClient, type ExportFormat, type SubmitOptions, type SubmitOutcome } from './api-client.js';
import { createBarReporter } from './bar-reporter.js';
import { CliError, EXIT, worstExit, type ExitCode } from './exit-codes.js';
import { collectFiles, type LocalFile } from './files.js';
import { followTasks, type Follower } from './follow.js';
import { settleInterrupted } from './interrupt.js';
import { createLineReporter } from './line-reporter.js';
import { outputPaths } from './output-names.js';
import type { Reporter } from './reporter.js';
import { resolveServer, type ServerFlags } from './settings.js';
import { formatCost, formatTable, formatTaskTime, formatTokens } from './summary.js';
import { checkLimits, planUploads } from './upload-plan.js';

export interface SubmitFlags extends ServerFlags, SubmitOptions {
  out: string;
  format: ExportFormat;
  wait: boolean;
  concurrency: number;
}

/** One submitted file on its way. */
interface Run {
  file: LocalFile;
  taskId: string;
  output: string;
  /** `task`: its figures at the outcome (none for a task deleted meanwhile); `problem`: the result could not be saved. */
  outcome?: { status: FinalTaskStatus; task?: TaskSummary; problem?: string };
}

const OPTIONS_REFUSED = 'not sent: the server refused the options';
const notSent = (file: LocalFile, why: string): SubmitOutcome => ({ file, refused: new ApiError(0, 'not_sent', why) });

/** While the WebSocket is down, unfinished tasks are asked for over HTTP this often. */
const POLL_MS = 5000;

/** The server's refusal codes that have an exit code of their own. */
const REFUSAL_EXIT: Record<string, ExitCode> = {
  file_too_large: EXIT.tooLarge, pdf_too_many_pages: EXIT.tooLarge, image_too_large: EXIT.tooLarge, image_too_many_pages: EXIT.tooLarge,
  unsupported_file_type: EXIT.unsupported,
};

export async function submitCommand(inputs: string[], flags: SubmitFlags): Promise<ExitCode> {
  const files = await collectFiles(inputs);
  const api = createApiClient(resolveServer(flags));
  await api.checkAccess();
  checkLimits(files, await api.limits());
  const outputs = outputPaths(files, flags.out, flags.format);
  if (flags.wait) await mkdir(flags.out, { recursive: true });
  // Bars only where someone watches them; --no-wait has nothing to draw.
  const reporter = flags.wait && process.stdout.isTTY ? createBarReporter() : createLineReporter();
  const session = createSession(api, reporter, flags);
  return session.run(files, outputs);
}

function createSession(api: ApiClient, reporter: Reporter, flags: SubmitFlags) {
  const runs = new Map<string, Run>();
  const exits: ExitCode[] = [];
  const refused: Array<{ file: LocalFile; reason: string }> = [];
  const uploads = new AbortController();
  let follower: Follower | undefined;
  let allSubmitted = false;
  let interrupting = false;
  let finish: (code: ExitCode) => void = () => undefined;
  const finished = new Promise<ExitCode>((resolve) => { finish = resolve; });
  const downloads = new Set<Promise<void>>();

  const options: SubmitOptions = { pages: flags.pages, model: flags.model, prompt: flags.prompt };

  function checkDone() {
    if (!interrupting && allSubmitted && [...runs.values()].every((r) => r.outcome) && downloads.size === 0) finish(endRun());
  }

  function record(outcome: SubmitOutcome, outputs: Map<LocalFile, string>) {
    if (outcome.refused) {
      const reason = `${outcome.refused.detail} (${outcome.refused.code})`;
      reporter.refused(outcome.file, reason);
      refused.push({ file: outcome.file, reason });
      exits.push(REFUSAL_EXIT[outcome.refused.code] ?? EXIT.failed);
      // Options refused for a whole batch are refused for every file alike: no point sending the
      // rest. (A page range beyond one PDF is that file's refusal only.)
      if (outcome.wholeBatch && outcome.refused.code === 'invalid_option') uploads.abort();
      return;
    }
    const run: Run = { file: outcome.file, taskId: outcome.taskId, output: outputs.get(outcome.file)! };
    runs.set(run.taskId, run);
    reporter.submitted(run.file, run.taskId, outcome.totalPages);
    follower?.add(run.taskId);
  }

  async function upload(files: LocalFile[], outputs: Map<LocalFile, string>) {
    const queue = planUploads(files);
    const worker = async () => {
      for (let request = queue.shift(); request && !uploads.signal.aborted; request = queue.shift()) {
        try {
          for (const outcome of await api.submit(request, options, uploads.signal)) record(outcome, outputs);
        } catch (err) {
          // An interrupt says itself what it left behind.
          if (interrupting) return;
          if (!uploads.signal.aborted && !(err instanceof CliError)) throw err;
          // The server went away mid-run (these files are not on it; the others may be), or the
          // options were refused for another request.
          for (const file of request) record(notSent(file, err instanceof CliError ? err.message : OPTIONS_REFUSED), outputs);
          if (err instanceof CliError) exits.push(err.exitCode);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(flags.concurrency, queue.length)) }, worker));
    if (!interrupting) for (const file of queue.flat()) record(notSent(file, OPTIONS_REFUSED), outputs);
  }

  /** The task has its outcome: fetch its result (when it has one) and say so. */
  function settle(run: Run, status: FinalTaskStatus, task: TaskSummary | undefined, reason = task?.error_message) {
    if (run.outcome) return;
    run.outcome = { status, task };
    follower?.drop(run.taskId);
    if (!task || !(RESULT_STATUSES as readonly string[]).includes(status)) {
      reporter.finished(run.file, status, status === 'failed' ? reason ?? 'no reason given' : '');
      return checkDone();
    }
    const download = saveResult(run).then(
      () => reporter.finished(run.file, status, `${status === 'partial' ? `(${task.failed_pages} of ${task.total_pages} pages failed) ` : ''}→ ${run.output}`),
      (err: unknown) => {
        run.outcome!.problem = `result not saved: ${(err as Error).message}`;
        reporter.finished(run.file, status, `but its ${run.outcome!.problem}`);
      },
    ).finally(() => {
      downloads.delete(download);
      checkDone();
    });
    downloads.add(download);
  }

  /** Written beside its name under a temporary one first: a half-written file is never taken for a result. */
  async function saveResult(run: Run) {
    const part = `${run.output}.${randomUUID().slice(0, 8)}.part`;
    try {
      await api.exportTo(run.taskId, flags.format, createWriteStream(part));
      await rename(part, run.output);
    } finally {
      await rm(part, { force: true });
    }
  }

  function onMessage(message: ServerMessage) {
    const run = 'task_id' in message && message.task_id ? runs.get(message.task_id) : undefined;
    if (!run || run.outcome) return;
    switch (message.type) {
      case 'task_started':
        return reporter.started(run.file);
      case 'page_completed':
        return reporter.page(run.file, message.data);
      case 'task_progress':
        return reporter.progress(run.file, { done: message.processed + message.failed, failed: message.failed, total: message.total, rate: message.processing_rate, eta: message.eta_seconds });
      case 'task_completed':
      case 'task_failed':
      case 'task_cancelled':
        return settle(run, message.status, message.task);
      case 'error':
        // The task is gone (deleted meanwhile): there is nothing more to wait for.
        if (message.code === 'task_not_found') settle(run, 'failed', undefined, 'the task was deleted on the server');
        return;
      default:
        return;
    }
  }

  /** While the WebSocket is down: the same news over HTTP. */
  async function poll() {
    if (!follower || follower.connected) return;
    for (const run of runs.values()) {
      if (run.outcome) continue;
      const task = await api.task(run.taskId).catch(() => undefined);
      if (!task) continue;
      reporter.progress(run.file, { done: task.processed_pages + task.failed_pages, failed: task.failed_pages, total: task.total_pages, rate: 0, eta: null });
      if (isFinalStatus(task.status)) settle(run, task.status, task);
    }
  }

  function endRun(): ExitCode {
    reporter.stop();
    const all = [...runs.values()];
    if (flags.wait) {
      process.stdout.write(`\n${summaryTable(all, refused)}\n`);
      for (const run of all) if (run.outcome?.status !== 'completed' || run.outcome.problem) exits.push(EXIT.failed);
    }
    return worstExit(exits);
  }

  async function interrupted(): Promise<ExitCode> {
    uploads.abort();
    reporter.stop();
    const running = [...runs.values()].filter((r) => !r.outcome).map(({ taskId, file }) => ({ taskId, file }));
    if (running.length === 0) process.stdout.write(runs.size === 0 ? 'interrupted before any task was made\n' : 'interrupted: every task had finished\n');
    await settleInterrupted(running, api, Boolean(process.stdin.isTTY && process.stdout.isTTY));
    return EXIT.interrupted;
  }

  return {
    async run(files: LocalFile[], outputs: Map<LocalFile, string>): Promise<ExitCode> {
      if (flags.wait) {
        follower = followTasks(api.websocketUrl(`ocr-cli-${randomUUID()}`), {
          message: onMessage,
          connection: (up, why) => { if (!up) reporter.note(`progress connection lost (${why ?? 'closed'}); reconnecting`); },
        });
      }
      const poller = setInterval(() => void poll(), POLL_MS);
      let interrupt: () => void = () => undefined;
      const stopped = new Promise<'interrupted'>((resolve) => { interrupt = () => resolve('interrupted'); });
      // A second Ctrl-C while the first is being settled ends the process at once, tasks left as they are.
      const onSigint = () => {
        if (interrupting) process.exit(EXIT.interrupted);
        interrupting = true;
        interrupt();
      };
      process.on('SIGINT', onSigint);
      try {
        const uploaded = upload(files, outputs).then(() => {
          allSubmitted = true;
          if (!flags.wait) finish(endRun());
          else checkDone();
        });
        // `uploaded` is in the race for its failures: an unexpected error ends the run.
        const first = await Promise.race([finished, stopped, uploaded.then(() => finished)]);
        return first === 'interrupted' ? await interrupted() : first;
      } finally {
        process.off('SIGINT', onSigint);
        clearInterval(poller);
        await follower?.close();
      }
    },
  };
}

function summaryTable(runs: Run[], refused: Array<{ file: LocalFile; reason: string }>): string {
  const rows = runs.map(({ file, output, outcome }) => {
    const task = outcome?.task;
    return [
      file.path, outcome ? (outcome.problem ? `${outcome.status} (not saved)` : outcome.status) : 'unknown',
      task ? String(task.total_pages) : '–', task ? String(task.failed_pages) : '–',
      task ? formatTokens(task) : '–', task ? formatCost(task) : '–', task ? formatTaskTime(task) : '–',
      outcome && (RESULT_STATUSES as readonly string[]).includes(outcome.status) && !outcome.problem ? path.normalize(output) : '–',
    ];
  });
  for (const { file } of refused) rows.push([file.path, 'refused', '–', '–', '–', '–', '–', '–']);
  return formatTable(['FILE', 'STATUS', 'PAGES', 'FAILED', 'TOKENS', 'COST', 'TIME', 'OUTPUT'], rows);
}
