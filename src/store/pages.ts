/** SQL for the pages table: one row per finished page, the checkpoint that retried batches consult. */
import { FINAL_TASK_STATUSES, type PageStatus, type PageWarning, type SentImage, type TaskCounts } from '../contract/index.js';
import { withTransaction, type Pool, type Queryable } from './pool.js';

export interface PageResult {
  taskId: string;
  pageNumber: number;
  status: PageStatus;
  content: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: number;
  processingMs: number;
  /** Of every call made for the page (failed attempts too); null when no count is known. */
  promptTokens: number | null;
  completionTokens: number | null;
  /** Some of the count was estimated (a call stopped before the server reported its usage). */
  tokensEstimated: boolean;
  /** What was done to the image and to the reply on their way to `content`; [] for a failed page. */
  warnings: PageWarning[];
  /** What the model was sent; null when nothing was. */
  sent: SentImage | null;
  /** What shaped the answer, hashed (tasks/reuse.ts): set on a completed page that may be reused. */
  reuseKey?: string | null;
  /** Copied from an earlier page with the same key: what that one's calls cost (this one cost nothing). */
  reusedFrom?: { promptTokens: number | null; completionTokens: number | null } | null;
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
  tokens_estimated: boolean;
  warnings: PageWarning[];
  sent_width: number | null;
  sent_height: number | null;
  sent_bytes: number | null;
  sent_type: string | null;
  reused: boolean;
  created_at: Date;
  updated_at: Date;
}

/**
 * Saves a finished page and refreshes the task's counters (pages, tokens); run it in a transaction
 * that has locked the task row (lockTask), so that concurrent saves for one task run one after
 * another and the recount (a new snapshot per statement under READ COMMITTED) sees every committed
 * page. Idempotent: a completed page is never overwritten, not even by a later failure; saving it
 * again changes nothing and answers undefined (nothing to announce). A failed page saved again (its
 * batch ran once more) adds the new calls' tokens to those of the calls before: both were billed.
 */
export async function savePage(tx: Queryable, page: PageResult): Promise<TaskCounts | undefined> {
  const saved = await tx.query(
    `insert into pages (task_id, page_number, status, content, error_class, error_message, attempts,
                        processing_ms, prompt_tokens, completion_tokens, tokens_estimated, warnings,
                        sent_width, sent_height, sent_bytes, sent_type, reuse_key, reused, reused_prompt_tokens, reused_completion_tokens)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14, $15, $16, $17, $18, $19, $20)
     on conflict (task_id, page_number) do update set
       status = excluded.status, content = excluded.content, error_class = excluded.error_class,
       error_message = excluded.error_message, attempts = excluded.attempts,
       processing_ms = excluded.processing_ms,
       prompt_tokens = case when pages.prompt_tokens is null then excluded.prompt_tokens
                            else pages.prompt_tokens + coalesce(excluded.prompt_tokens, 0) end,
       completion_tokens = case when pages.completion_tokens is null then excluded.completion_tokens
                                else pages.completion_tokens + coalesce(excluded.completion_tokens, 0) end,
       tokens_estimated = pages.tokens_estimated or excluded.tokens_estimated,
       warnings = excluded.warnings, sent_width = excluded.sent_width, sent_height = excluded.sent_height,
       sent_bytes = excluded.sent_bytes, sent_type = excluded.sent_type, reuse_key = excluded.reuse_key,
       reused = excluded.reused, reused_prompt_tokens = excluded.reused_prompt_tokens,
       reused_completion_tokens = excluded.reused_completion_tokens, updated_at = now()
     where pages.status <> 'completed'`,
    [page.taskId, page.pageNumber, page.status, page.content, page.errorClass, page.errorMessage,
      page.attempts, page.processingMs, page.promptTokens, page.completionTokens, page.tokensEstimated, page.warnings,
      page.sent?.width ?? null, page.sent?.height ?? null, page.sent?.bytes ?? null, page.sent?.mime_type ?? null,
      page.reuseKey ?? null, Boolean(page.reusedFrom), page.reusedFrom?.promptTokens ?? null, page.reusedFrom?.completionTokens ?? null],
  );
  if (saved.rowCount === 0) return undefined;
  return recountPages(tx, page.taskId);
}

/** The task's page counts and tokens, recomputed from its pages (in the caller's transaction). */
async function recountPages(tx: Queryable, taskId: string): Promise<TaskCounts> {
  const { rows } = await tx.query<TaskCounts>(
    `update tasks t set processed_pages = c.completed, failed_pages = c.failed,
            prompt_tokens = t.earlier_prompt_tokens + c.prompt_tokens,
            completion_tokens = t.earlier_completion_tokens + c.completion_tokens,
            tokens_estimated = t.tokens_estimated or c.estimated, reused_pages = c.reused,
            reused_prompt_tokens = c.reused_prompt_tokens, reused_completion_tokens = c.reused_completion_tokens,
            updated_at = now()
     from (select count(*) filter (where status = 'completed') as completed,
                  count(*) filter (where status = 'failed') as failed,
                  count(*) filter (where reused) as reused,
                  coalesce(sum(reused_prompt_tokens), 0) as reused_prompt_tokens,
                  coalesce(sum(reused_completion_tokens), 0) as reused_completion_tokens,
                  coalesce(sum(prompt_tokens), 0) as prompt_tokens,
                  coalesce(sum(completion_tokens), 0) as completion_tokens,
                  coalesce(bool_or(tokens_estimated), false) as estimated
           from pages where task_id = $1) c
     where t.id = $1
     returning t.processed_pages as processed, t.failed_pages as failed, t.total_pages as total`,
    [taskId],
  );
  return rows[0]!;
}

/**
 * Forgets one page's result so that a run reads it again, if the task has finished (checked under
 * the task's row lock: of two page retries at once, the second finds the task pending and changes
 * nothing). The page's tokens stay in the task's usage (earlier_*_tokens: they were billed), the
 * counts follow, and the task is `pending` until that run starts. False when nothing was reset.
 */
export async function resetPageForRetry(pool: Pool, taskId: string, pageNumber: number): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(
      `with task as (select id from tasks where id = $1 and status = any($3::text[]) for update),
            forgotten as (delete from pages p using task where p.task_id = task.id and p.page_number = $2
                          returning p.prompt_tokens, p.completion_tokens)
       update tasks set status = 'pending', error_code = null, error_message = null, result_summary = null, completed_at = null,
              updated_at = now(),
              earlier_prompt_tokens = earlier_prompt_tokens + (select coalesce(sum(prompt_tokens), 0) from forgotten),
              earlier_completion_tokens = earlier_completion_tokens + (select coalesce(sum(completion_tokens), 0) from forgotten)
       where id = (select id from task)`,
      [taskId, pageNumber, FINAL_TASK_STATUSES],
    );
    if (!rowCount) return false;
    await recountPages(tx, taskId);
    return true;
  });
}

/** What a task's outcome is decided from: its pages' counts and its first failure. */
export interface PageTotals {
  completed: number;
  failed: number;
  content_length: number;
  first_error: string | null;
  first_error_class: string | null;
}

export async function pageTotals(db: Queryable, taskId: string): Promise<PageTotals> {
  const { rows } = await db.query<PageTotals>(
    `select count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status = 'failed')::int as failed,
            coalesce(sum(length(content)), 0)::int as content_length,
            (array_agg(error_message order by page_number) filter (where status = 'failed'))[1] as first_error,
            (array_agg(error_class order by page_number) filter (where status = 'failed'))[1] as first_error_class
     from pages where task_id = $1`,
    [taskId],
  );
  return rows[0]!;
}

/** A completed page whose answer another page may copy (tasks/reuse.ts). */
export interface ReusablePage {
  content: string;
  warnings: PageWarning[];
  /** What its calls cost (for a page itself reused: what the original's cost). */
  prompt_tokens: number | null;
  completion_tokens: number | null;
  sent_width: number | null;
  sent_height: number | null;
  sent_bytes: number | null;
  sent_type: string | null;
}

/** The earliest completed page with this key, of any task; undefined when none has it. */
export async function findReusablePage(db: Queryable, reuseKey: string): Promise<ReusablePage | undefined> {
  const { rows } = await db.query<ReusablePage>(
    `select content, warnings, coalesce(reused_prompt_tokens, prompt_tokens) as prompt_tokens,
            coalesce(reused_completion_tokens, completion_tokens) as completion_tokens,
            sent_width, sent_height, sent_bytes, sent_type
     from pages where reuse_key = $1 and status = 'completed' order by created_at limit 1`,
    [reuseKey],
  );
  return rows[0];
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
  processing_ms, prompt_tokens, completion_tokens, tokens_estimated, warnings,
  sent_width, sent_height, sent_bytes, sent_type, reused, created_at, updated_at`;

export async function listPages(db: Queryable, taskId: string, opts: { withContent: boolean }): Promise<PageRow[]> {
  const { rows } = await db.query<PageRow>(
    `select ${pageColumns(opts.withContent)} from pages where task_id = $1 order by page_number`,
    [taskId],
  );
  return rows;
}

/** The result: completed pages in page order, joined by a blank line (docs/compatibility.md, "Statuses and lifecycle"). */
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

/**
 * A digest of what the task's pages say: changes whenever a page's status or text does (a retry,
 * a page finished late), so what is made from the text (the searchable PDF) can be cached under it.
 */
export async function contentDigest(db: Queryable, taskId: string): Promise<string> {
  const { rows } = await db.query<{ digest: string | null }>(
    `select md5(string_agg(page_number || ':' || status || ':' || coalesce(md5(content), ''), ',' order by page_number)) as digest
     from pages where task_id = $1`,
    [taskId],
  );
  return rows[0]?.digest ?? '';
}

/** The text of each completed page with any, in page order. */
export async function completedContents(db: Queryable, taskId: string): Promise<Array<{ pageNumber: number; content: string }>> {
  const { rows } = await db.query<{ page_number: number; content: string }>(
    `select page_number, content from pages
     where task_id = $1 and status = 'completed' and content <> '' order by page_number`,
    [taskId],
  );
  return rows.map((r) => ({ pageNumber: r.page_number, content: r.content }));
}
