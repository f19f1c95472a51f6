/**
 * Live progress on a terminal: one bar per file (cli-progress's MultiBar, which owns the cursor),
 * with pages done and failed, pages per minute and the time left; other lines are printed above
 * the bars.
 */
import cliProgress from 'cli-progress';
import type { LocalFile } from './files.js';
import { formatRate, formatSeconds, outcomeText, type Reporter } from './reporter.js';

interface Payload { name: string; failed: number; rate: number; eta: number | null; state: string }

export function createBarReporter(out: NodeJS.WriteStream = process.stdout): Reporter {
  const width = { name: 12 };
  const multibar = new cliProgress.MultiBar({
    stream: out,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 24,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    fps: 5,
    format: (options, params, payload: Payload) => {
      const bar = cliProgress.Format.BarFormat(params.progress, options);
      const failed = payload.failed ? `, ${payload.failed} failed` : '';
      const counts = `${params.value}/${params.total} pages${failed}`;
      const tail = payload.state || `${formatRate(payload.rate)}  ETA ${formatSeconds(payload.eta)}`;
      return `${payload.name.padEnd(width.name)} ${bar} ${counts}  ${tail}`;
    },
  });
  const bars = new Map<LocalFile, { bar: cliProgress.SingleBar; payload: Payload }>();
  const update = (file: LocalFile, change: Partial<Payload>, value?: number, total?: number) => {
    const entry = bars.get(file);
    if (!entry) return;
    Object.assign(entry.payload, change);
    if (total !== undefined) entry.bar.setTotal(Math.max(1, total));
    if (value !== undefined) entry.bar.update(value, entry.payload);
    else entry.bar.update(entry.payload);
  };

  return {
    submitted(file, _taskId, totalPages) {
      width.name = Math.min(40, Math.max(width.name, file.name.length));
      const payload: Payload = { name: file.name.length > 40 ? `${file.name.slice(0, 39)}…` : file.name, failed: 0, rate: 0, eta: null, state: 'queued' };
      bars.set(file, { bar: multibar.create(Math.max(1, totalPages), 0, payload), payload });
    },
    refused: (file, message) => multibar.log(`${file.path}: refused: ${message}\n`),
    started: (file) => update(file, { state: '' }),
    page: () => undefined,
    progress: (file, p) => update(file, { failed: p.failed, rate: p.rate, eta: p.eta, state: '' }, p.done, p.total),
    finished(file, status, detail) {
      const done = status === 'completed' || status === 'partial';
      update(file, { state: status }, done ? bars.get(file)?.bar.getTotal() : undefined);
      if (detail) multibar.log(`${file.path}: ${outcomeText(status, detail)}\n`);
    },
    note: (line) => multibar.log(`${line}\n`),
    stop() {
      // A last redraw first: stop() alone would drop lines logged since the previous one.
      multibar.update();
      multibar.stop();
    },
  };
}
