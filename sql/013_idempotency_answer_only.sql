-- A key's answer lives in `answer` (sql/012) since batches have their own: the single-task columns
-- it was copied from are no longer read or written.
alter table idempotency_keys drop column if exists total_pages, drop column if exists file_size;
