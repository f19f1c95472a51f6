/**
 * Fills a fresh database with a year of plausible use in a few seconds, set-based in SQL: image
 * tasks (one page) and PDFs of 1–50 pages (most small), mostly completed, some partial, failed,
 * cancelled, a few still processing or pending; a page row with Markdown-like content for every
 * finished page. Files get their rows but no chunks: no benchmarked route reads file bytes.
 */
import type pg from 'pg';

export interface SeededTasks {
  ids: string[];
  /** A completed 50-page PDF, for the progress route. */
  pdf50: string;
  /** 50-page PDFs in `processing`, for WebSocket subscribers. */
  processing: string[];
  pages: number;
  /** Size of the tasks and pages tables with their indexes and TOAST. */
  sizeMb: number;
}

const PROCESSING_PDFS = 50;
const CORPUS_TEXTS = 500;

// Markdown with inline LaTeX, as a vision model returns it; random word order compresses about as
// badly as real text, so pages cost what real ones cost in TOAST.
const WORDS = [
  'the', 'of', 'and', 'a', 'to', 'in', 'is', 'that', 'for', 'we', 'with', 'as', 'by', 'on', 'this', 'be',
  'theorem', 'proof', 'let', 'equation', 'function', 'where', 'then', 'therefore', 'value', 'result',
  'model', 'section', 'table', 'figure', 'data', 'method', 'since', 'each', 'given', 'follows',
  '$x$', '$y$', '$n$', '$\\alpha$', '$f(x)$', '$x^2 + y^2 = r^2$', '$\\sum_{i=1}^{n} a_i$', '$\\frac{a}{b}$',
  '$\\int_0^1 f(t)\\,dt$', '$\\mathbb{R}^n$', '|', '|---|', '**Note.**', '-', '1.', '2.', '3.',
  '\n\n##', '\n\n', '\n-', '\n$$\nE = mc^2\n$$\n', '(1)', '(2)', '[3]', 'et', 'al.', 'Fig.', 'Eq.',
];

export async function seedTasks(db: pg.Client, count: number): Promise<SeededTasks> {
  const words = `array[${WORDS.map((w) => `'${w.replaceAll("'", "''")}'`).join(',')}]`;
  // One script in the simple protocol: several statements, one transaction, a reproducible mix.
  await db.query(`
    begin;
    select setseed(0.42);
    -- Many short texts, not one long one: a long value would be detoasted again for every page.
    create temp table bench_corpus on commit drop as
      select i, string_agg((${words})[1 + floor(random() * ${WORDS.length})::int], ' ') as text
      from generate_series(1, ${CORPUS_TEXTS}) i, generate_series(1, 800) j group by i;
    create temp table bench_seed on commit drop as
      with base as (
        select g, gen_random_uuid() as id, g <= ${PROCESSING_PDFS + 1} or random() < 0.4 as is_pdf,
               random() as r_status, random() as r_pages, random() as r_age, random() as r_size, random() as r_done
        from generate_series(1, ${count}) g),
      shaped as (
        select *, case when g <= ${PROCESSING_PDFS + 1} then 50 when is_pdf then 1 + floor(power(r_pages, 2) * 50)::int else 1 end as total,
               case when g = 1 then 'completed'
                    when g <= ${PROCESSING_PDFS + 1} then 'processing'
                    when r_status < 0.86 then 'completed'
                    when r_status < 0.91 then 'partial'
                    when r_status < 0.95 then 'failed'
                    when r_status < 0.97 then 'cancelled'
                    when r_status < 0.985 then 'processing'
                    else 'pending' end as wanted
        from base)
      select g, id, is_pdf, total, r_size, r_done,
             -- A partial task has a page that worked and one that did not: it needs two pages.
             case when wanted = 'partial' and total < 2 then 'failed' else wanted end as status,
             case when wanted = 'pending' then now()
                  when wanted = 'processing' then now() - r_age * interval '10 minutes'
                  else now() - r_age * interval '365 days' end as created_at
      from shaped;
    -- Every page's fate first, so that each task row is written once, complete, in submission order.
    create temp table bench_pages on commit drop as
      select s.id as task_id, s.created_at, n, p.status, 1 + floor(random() * ${CORPUS_TEXTS})::int as text_id
      from bench_seed s,
           generate_series(1, case when s.status in ('completed', 'partial', 'failed') then s.total
                                   when s.status in ('cancelled', 'processing') then floor(s.total * s.r_done)::int
                                   else 0 end) n,
           lateral (select case when s.status = 'failed' then 'failed'
                                when s.status = 'partial' and n = s.total then 'failed'
                                when s.status = 'partial' and n > 1 and random() < 0.1 then 'failed'
                                when s.status in ('cancelled', 'processing') and random() < 0.02 then 'failed'
                                else 'completed' end as status) p;
    insert into files (sha256, size_bytes, mime_type, chunk_count, created_at)
      select encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), f.size, f.mime, ceil(f.size / 1048576.0)::int, created_at
      from bench_seed, lateral (select case when is_pdf then total * (60000 + floor(r_size * 140000)::bigint) else 200000 + floor(r_size * 2800000)::bigint end as size,
                                       case when is_pdf then 'application/pdf' else 'image/png' end as mime) f
      order by created_at;
    insert into tasks (id, task_type, status, file_name, file_size, file_sha256, mime_type, total_pages,
                       processed_pages, failed_pages, error_code, error_message, result_summary,
                       metadata, created_at, started_at, completed_at, updated_at)
      select s.id, case when is_pdf then 'pdf_ocr' else 'image_ocr' end, s.status, name, f.size_bytes, f.sha256, f.mime_type, total,
             coalesce(c.completed, 0), coalesce(c.failed, 0),
             case when s.status in ('partial', 'failed') then 'empty_response' when s.status = 'cancelled' then 'cancelled' end,
             case when s.status = 'partial' then format('%s of %s pages failed; first error: The model returned an empty answer five times', total - coalesce(c.completed, 0), total)
                  when s.status = 'failed' then 'The model returned an empty answer five times: check that MODEL is a vision model'
                  when s.status = 'cancelled' then '用户取消' end,
             case when s.status not in ('pending', 'processing') then
               jsonb_build_object('total_pages', total, 'successful_pages', coalesce(c.completed, 0), 'failed_pages', total - coalesce(c.completed, 0),
                                  'success_rate', format('%s%%', round(100.0 * coalesce(c.completed, 0) / total, 1)),
                                  'processing_time', total * 2.5, 'content_length', coalesce(c.completed, 0) * 2400,
                                  'file_size_mb', round(f.size_bytes / 1048576.0, 2)::text) end,
             jsonb_build_object('source', case when is_pdf then 'api_pdf' else 'api_image' end, 'original_filename', name,
                                'file_type', f.mime_type, 'total_pages', total, 'batch_size', least(8, total)),
             s.created_at,
             case when s.status = 'pending' then null else s.created_at + interval '1 second' end,
             case when s.status in ('pending', 'processing') then null else s.created_at + total * interval '2.5 seconds' end,
             case when s.status in ('pending', 'processing') then now() else s.created_at + total * interval '2.5 seconds' end
      from bench_seed s
      join files f on f.sha256 = encode(sha256(convert_to(s.id::text, 'UTF8')), 'hex')
      cross join lateral (select case when is_pdf then format('paper-%s.pdf', g) else format('scan-%s.png', g) end as name) n
      left join (select task_id, count(*) filter (where status = 'completed')::int as completed,
                        count(*) filter (where status = 'failed')::int as failed
                 from bench_pages group by task_id) c on c.task_id = s.id
      -- Rows land in the order they were submitted, as in a real table (index correlation matters).
      order by s.created_at;
    insert into pages (task_id, page_number, status, content, error_class, error_message, attempts,
                       processing_ms, prompt_tokens, completion_tokens, created_at, updated_at)
      select p.task_id, n, p.status,
             case when p.status = 'completed' then left(c.text, 800 + floor(random() * 3200)::int) end,
             case when p.status = 'failed' then 'empty_response' end,
             case when p.status = 'failed' then 'The model returned an empty answer five times: check that MODEL is a vision model' end,
             case when p.status = 'failed' then 5 else 1 end,
             1500 + floor(random() * 4500)::int, 1100, 400 + floor(random() * 900)::int,
             p.created_at + n * interval '2.5 seconds', p.created_at + n * interval '2.5 seconds'
      from bench_pages p join bench_corpus c on c.i = p.text_id
      order by p.created_at, n;
    commit;
  `);
  // As autovacuum would have done long ago in a database that grew to this size.
  await db.query('vacuum analyze files, tasks, pages');

  const { rows } = await db.query<{ id: string; status: string; total_pages: number; created_at: Date }>(
    'select id, status, total_pages, created_at from tasks order by created_at',
  );
  const pdf50 = rows.find((r) => r.status === 'completed' && r.total_pages === 50)!.id;
  const processing = rows.filter((r) => r.status === 'processing' && r.total_pages === 50).slice(0, PROCESSING_PDFS).map((r) => r.id);
  const stats = await db.query<{ pages: number; size: number }>(
    `select (select count(*) from pages)::int as pages,
            (pg_total_relation_size('tasks') + pg_total_relation_size('pages'))::bigint as size`,
  );
  return { ids: rows.map((r) => r.id), pdf50, processing, pages: stats.rows[0]!.pages, sizeMb: Math.round(Number(stats.rows[0]!.size) / 2 ** 20) };
}
