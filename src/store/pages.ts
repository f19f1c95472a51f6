/** SQL for the pages table: one row per finished page, the checkpoint that retried batches consult. */
import type { Queryable, Pool } from './pool.js';
import { withTransaction } from './pool.js';
import { notifyTaskEvent } from './events.js';

export type PageStatus = 'completed' | 'failed';

export interface PageResult {
  taskId: string;
  pageNumber: number;
  status: PageStatus;
  content: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: number;
  processingMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface PageRow {
  page_number: number;
  status: PageStatus;
  content: string | null;
  content_length: number;
  error_class: string | null;
  error_message: string | null;
  attempts: number;
  processing_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Saves a finished page and refreshes the task's counters (pages, tokens) in one transaction.
 * Idempotent: saving the same page again is harmless, and a completed page is never overwritten by a
 * later failure.
 */
export async function savePage(pool: Pool, page: PageResult): Promise<void> {
  await withTransaction(pool, async (client) => {
    // Lock the task row first: concurrent saves for one task then run one after another, and the
    // recount below (a new snapshot per statement under READ COMMITTED) sees every committed page.
    await client.query('select 1 from tasks where id = $1 for update', [page.taskId]);
    const saved = await client.query(
      `insert into pages (task_id, page_number, status, content, error_class, error_message, attempts,
                          processing_ms, prompt_tokens, completion_tokens)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (task_id, page_number) do update set
         status = excluded.status, content = excluded.content, error_class = excluded.error_class,
         error_message = excluded.error_message, attempts = excluded.attempts,
         processing_ms = excluded.processing_ms, prompt_tokens = excluded.prompt_tokens,
         completion_tokens = excluded.completion_tokens, updated_at = now()
       where pages.status <> 'completed'`,
      [page.taskId, page.pageNumber, page.status, page.content, page.errorClass, page.errorMessage,
        page.attempts, page.processingMs, page.promptTokens, page.completionTokens],
    );
    // Saving a page that is already completed changes nothing: nothing to count or announce.
    if (saved.rowCount === 0) return;
    const { rows } = await client.query<{ processed: number; failed: number; total: number }>(
      `update tasks t set processed_pages = c.completed, failed_pages = c.failed,
              prompt_tokens = c.prompt_tokens, completion_tokens = c.completion_tokens, updated_at = now()
       from (select count(*) filter (where status = 'completed') as completed,
                    count(*) filter (where status = 'failed') as failed,
                    coalesce(sum(prompt_tokens), 0) as prompt_tokens,
                    coalesce(sum(completion_tokens), 0) as completion_tokens
             from pages where task_id = $1) c
       where t.id = $1
       returning t.processed_pages as processed, t.failed_pages as failed, t.total_pages as total`,
      [page.taskId],
    );
    // Delivered at commit, so listeners never hear of a page they cannot read yet.
    if (rows[0]) {
      await notifyTaskEvent(client, {
        type: 'page_completed',
        task_id: page.taskId,
        page_number: page.pageNumber,
        status: page.status,
        content_length: page.content?.length ?? 0,
        processing_time: page.processingMs / 1000,
        error_message: page.errorMessage,
        progress: rows[0],
      });
    }
  });
}

/** Page numbers that already have a completed result: a retried batch skips these. */
export async function completedPageNumbers(db: Queryable, taskId: string, pageNumbers: number[]): Promise<Set<number>> {
  const { rows } = await db.query<{ page_number: number }>(
    `select page_number from pages where task_id = $1 and page_number = any($2::int[]) and status = 'completed'`,
    [taskId, pageNumbers],
  );
  return new Set(rows.map((r) => r.page_number));
}

/** The PageRow columns; content only when asked for (a 500-page task's content is megabytes). */
const pageColumns = (withContent: boolean) => `page_number, status, ${withContent ? 'content' : 'null::text as content'},
  coalesce(length(content), 0) as content_length, error_class, error_message, attempts,
  processing_ms, prompt_tokens, completion_tokens, created_at, updated_at`;

export async function listPages(db: Queryable, taskId: string, opts: { withContent: boolean }): Promise<PageRow[]> {
  const { rows } = await db.query<PageRow>(
    `select ${pageColumns(opts.withContent)} from pages where task_id = $1 order by page_number`,
    [taskId],
  );
  return rows;
}

/** The seed's result format: completed pages in page order, joined by a blank line. */
export async function joinedContent(db: Queryable, taskId: string): Promise<string> {
  const { rows } = await db.query<{ content: string | null }>(
    `select string_agg(content, E'\\n\\n' order by page_number) as content
     from pages where task_id = $1 and status = 'completed' and content <> ''`,
    [taskId],
  );
  return rows[0]?.content ?? '';
}

export async function getPage(db: Queryable, taskId: string, pageNumber: number): Promise<PageRow | undefined> {
  const { rows } = await db.query<PageRow>(
    `select ${pageColumns(true)} from pages where task_id = $1 and page_number = $2`,
    [taskId, pageNumber],
  );
  return rows[0];
}
