/**
 * One line per event, `<file>: <what happened>`, for output that is not a terminal: a page's line
 * carries the task's counters, which the server sends right after the page (task_progress), so
 * the page is held until they come.
 */
import type { PageCompletedMessage } from '../contract/index.js';
import type { LocalFile } from './files.js';
import { formatRate, formatSeconds, outcomeText, type Progress, type Reporter } from './reporter.js';

export function createLineReporter(out: NodeJS.WritableStream = process.stdout): Reporter {
  const write = (file: LocalFile, text: string) => out.write(`${file.path}: ${text}\n`);
  const pending = new Map<LocalFile, PageCompletedMessage['data']>();
  const printed = new Map<LocalFile, string>();

  return {
    submitted: (file, taskId, totalPages) => write(file, `submitted as task ${taskId} (${totalPages} page${totalPages === 1 ? '' : 's'})`),
    refused: (file, message) => write(file, `refused: ${message}`),
    started: (file) => write(file, 'started'),
    page: (file, page) => { pending.set(file, page); },
    progress(file, p: Progress) {
      const counts = `${p.done}/${p.total} done${p.failed ? `, ${p.failed} failed` : ''}`;
      const page = pending.get(file);
      pending.delete(file);
      if (page) {
        const what = page.status === 'completed' ? 'completed' : `failed: ${page.error_message ?? 'no reason given'}`;
        write(file, `page ${page.page_number} ${what} (${counts}, ${formatRate(p.rate)}, ETA ${formatSeconds(p.eta)})`);
      } else if (printed.get(file) !== counts && p.done > 0) {
        // A snapshot (after subscribing or reconnecting): only when it says something new.
        write(file, `progress ${counts}`);
      }
      printed.set(file, counts);
    },
    finished: (file, status, detail) => write(file, outcomeText(status, detail)),
    note: (line) => out.write(`${line}\n`),
    stop: () => undefined,
  };
}
