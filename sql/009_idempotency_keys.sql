-- Submits made with an Idempotency-Key header (src/api/http/idempotency.ts): the first request with
-- a key claims it, and a repeat within 24 hours with the same request (route, file, options: the
-- fingerprint) answers with the task it made instead of making another. Deleting the task frees
-- its key.
create table idempotency_keys (
  key         text primary key,
  fingerprint text not null,
  -- Null while the first request is still being handled.
  task_id     uuid references tasks (id) on delete cascade,
  total_pages int,
  file_size   bigint,
  created_at  timestamptz not null default now()
);
create index idempotency_keys_created_at_idx on idempotency_keys (created_at);
