-- Retention (src/tasks/retention.ts, RETENTION_DAYS). Finished tasks are found by completed_at. A
-- stored file goes once no task uses it and no upload has stored or found it for a grace period
-- (last_upload_at: the window between an upload storing the bytes and inserting its task), chunk by
-- chunk after `deleting` marks it, so that an upload of the same bytes meanwhile stores them anew
-- rather than trusting a half-deleted file (store/files.ts, storeFile).
alter table files
  add column if not exists last_upload_at timestamptz not null default now(),
  add column if not exists deleting boolean not null default false;
update files set last_upload_at = created_at;

create index if not exists tasks_completed_at_idx on tasks (completed_at) where completed_at is not null;
-- Deleting a task deletes its single-file idempotency key (on delete cascade): without an index each
-- deleted task would read the whole table to find it.
create index if not exists idempotency_keys_task_idx on idempotency_keys (task_id) where task_id is not null;
