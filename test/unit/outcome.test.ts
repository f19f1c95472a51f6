/** How a finished task's outcome is decided from its pages and how its run ended. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PageTotals } from '../../src/store/pages.js';
import type { TaskRow } from '../../src/store/tasks.js';
import { decideOutcome } from '../../src/tasks/outcome.js';

const created = new Date('2026-12-01T10:00:00Z');
const task = { total_pages: 4, file_size: 3 * 1024 * 1024, created_at: created, started_at: new Date(created.getTime() + 1000) } as TaskRow;
const now = created.getTime() + 61_000;
const totals = (completed: number, failed: number, firstError: [string, string] | null = null): PageTotals => ({
  completed, failed, content_length: completed * 100, first_error: firstError?.[1] ?? null, first_error_class: firstError?.[0] ?? null,
});

test('every page with content: completed, with the summary clients read', () => {
  assert.deepEqual(decideOutcome(task, totals(4, 0), { kind: 'done' }, now), {
    status: 'completed', errorCode: null, errorMessage: null,
    resultSummary: { total_pages: 4, successful_pages: 4, failed_pages: 0, success_rate: '100.0%', processing_time: 60, content_length: 400, file_size_mb: '3.00' },
  });
});

test('some pages failed: partial, naming the first failure; none with content: failed', () => {
  const partial = decideOutcome(task, totals(3, 1, ['server_error', 'HTTP 503']), { kind: 'done' }, now);
  assert.deepEqual([partial.status, partial.errorCode, partial.errorMessage], ['partial', 'server_error', '1 of 4 pages failed; first error: HTTP 503']);
  const failed = decideOutcome(task, totals(0, 4, ['bad_request', 'refused']), { kind: 'done' }, now);
  assert.deepEqual([failed.status, failed.errorCode, failed.errorMessage], ['failed', 'bad_request', 'refused']);
});

test('a batch that gave up: its pages count as failed with its reason, and the rest still counts', () => {
  const partial = decideOutcome(task, totals(2, 0), { kind: 'done', unfinished: 'database is down' }, now);
  assert.deepEqual([partial.status, partial.errorCode, partial.errorMessage], ['partial', 'batch_failed', '2 of 4 pages failed; first error: database is down']);
  assert.equal(partial.resultSummary.failed_pages, 2);
  const failed = decideOutcome(task, totals(0, 0), { kind: 'done', unfinished: 'database is down' }, now);
  assert.deepEqual([failed.status, failed.errorCode, failed.errorMessage], ['failed', 'batch_failed', 'database is down']);
});

test('a task error fails the task whatever its pages hold; a cancel is cancelled', () => {
  const failed = decideOutcome(task, totals(3, 0), { kind: 'error', code: 'auth', message: 'check OPENAI_API_KEY' }, now);
  assert.deepEqual([failed.status, failed.errorCode, failed.errorMessage, failed.resultSummary.successful_pages], ['failed', 'auth', 'check OPENAI_API_KEY', 3]);
  const cancelled = decideOutcome(task, totals(1, 0), { kind: 'cancelled' }, now);
  assert.deepEqual([cancelled.status, cancelled.errorCode, cancelled.errorMessage], ['cancelled', 'cancelled', '用户取消']);
});
