-- Uploaded files, content-addressed: any worker on any machine can read what the API received.
-- Bytes live in 1 MiB chunks so no single value (or client buffer) ever holds a whole large PDF.
create table files (
  sha256      text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes  bigint not null check (size_bytes > 0),
  mime_type   text not null,
  chunk_count int not null check (chunk_count > 0),
  created_at  timestamptz not null default now()
);

create table file_chunks (
  sha256 text not null references files (sha256) on delete cascade,
  seq    int not null check (seq >= 0),
  data   bytea not null,
  primary key (sha256, seq)
);

-- One row per OCR task; its id is also the Temporal workflow id.
create table tasks (
  id              uuid primary key,
  task_type       text not null check (task_type in ('image_ocr', 'pdf_ocr')),
  status          text not null default 'pending'
                  check (status in ('pending', 'processing', 'completed', 'partial', 'failed', 'cancelled')),
  file_name       text not null,
  file_size       bigint not null,
  file_sha256     text not null references files (sha256),
  mime_type       text not null,
  total_pages     int not null check (total_pages > 0),
  processed_pages int not null default 0,
  failed_pages    int not null default 0,
  error_code      text,
  error_message   text,
  result_summary  jsonb,
  metadata        jsonb not null default '{}'::jsonb,
  created_at      timestamptz not null default now(),
  started_at      timestamptz,
  completed_at    timestamptz,
  updated_at      timestamptz not null default now()
);
create index tasks_created_at_idx on tasks (created_at desc, id);
create index tasks_status_created_at_idx on tasks (status, created_at desc, id);
create index tasks_file_sha256_idx on tasks (file_sha256);

-- A row exists only for a finished page (completed or failed): the table is the checkpoint a retried
-- batch consults, and (task_id, page_number) makes saving a page idempotent.
create table pages (
  task_id           uuid not null references tasks (id) on delete cascade,
  page_number       int not null check (page_number > 0),
  status            text not null check (status in ('completed', 'failed')),
  content           text,
  error_class       text,
  error_message     text,
  attempts          int not null default 1,
  processing_ms     int not null default 0,
  prompt_tokens     int,
  completion_tokens int,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (task_id, page_number),
  check ((status = 'completed') = (content is not null))
);
