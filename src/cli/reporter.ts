/**
 * What a submit tells the user while it runs. Two renderings of the same events: live bars on a
 * terminal (bar-reporter.ts) and one line per event otherwise (line-reporter.ts), which a script or
 * a CI log can read and grep. Both write to standard output; errors of the run go to standard error.
 */
import type { FinalTaskStatus, PageCompletedMessage } from '../contract/index.js';
import type { LocalFile } from './files.js';

/** A task's counters as the WebSocket's task_progress carries them. */
export interface Progress {
  /** Pages finished, failed ones included. */
  done: number;
  failed: number;
  total: number;
  /** Pages per minute in the current run; 0 while unknown. */
  rate: number;
  /** Seconds left; null while unknown. */
  eta: number | null;
}

export interface Reporter {
  submitted(file: LocalFile, taskId: string, totalPages: number): void;
  refused(file: LocalFile, message: string): void;
  started(file: LocalFile): void;
  page(file: LocalFile, page: PageCompletedMessage['data']): void;
  progress(file: LocalFile, progress: Progress): void;
  /** `detail`: where the result went, or (failed) why there is none. */
  finished(file: LocalFile, status: FinalTaskStatus, detail: string): void;
  /** A line about the run itself (a lost connection, a note). */
  note(line: string): void;
  /** Leaves the terminal as it was (bars drawn for the last time, cursor back). */
  stop(): void;
}

/** "1m05s", "42s"; "?" while unknown. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const formatRate = (rate: number) => (rate > 0 ? `${rate < 10 ? rate.toFixed(1) : Math.round(rate)} pages/min` : '– pages/min');

/** "completed → out/a.md", "failed: the reason", "cancelled". */
export const outcomeText = (status: FinalTaskStatus, detail: string) => (detail ? `${status}${status === 'failed' ? ':' : ''} ${detail}` : status);
