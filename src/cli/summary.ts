/** The table a submit ends with, and the one `ocr list` / `ocr status` print: plain aligned columns. */
import type { TaskSummary } from '../contract/index.js';
import { formatSeconds } from './reporter.js';

/** Columns padded to their widest cell; the last one is not padded (no trailing blanks). */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "1,234" tokens, "~1,234" when some are an estimate. */
export const formatTokens = (task: Pick<TaskSummary, 'usage'>) => `${task.usage.estimated ? '~' : ''}${task.usage.total_tokens.toLocaleString('en-US')}`;

export const formatCost = (task: Pick<TaskSummary, 'usage'>) =>
  (task.usage.cost === null ? '–' : `${task.usage.cost.toFixed(4)} ${task.usage.currency ?? ''}`.trim());

/** The task's own processing time once it has one; else how long it has been (or was) on its way. */
export function formatTaskTime(task: Pick<TaskSummary, 'result_summary' | 'started_at' | 'completed_at'>): string {
  if (task.result_summary) return formatSeconds(task.result_summary.processing_time);
  if (!task.started_at) return '–';
  const end = task.completed_at ? Date.parse(task.completed_at) : Date.now();
  return formatSeconds((end - Date.parse(task.started_at)) / 1000);
}

/** pages done/total with the failed ones: "3/5 (1 failed)". */
export const formatPages = (task: Pick<TaskSummary, 'processed_pages' | 'failed_pages' | 'total_pages'>) =>
  `${task.processed_pages + task.failed_pages}/${task.total_pages}${task.failed_pages ? ` (${task.failed_pages} failed)` : ''}`;
