-- What the first request with a key answered, as JSON (a task's id, pages and size; or a batch's
-- tasks and refused files), so that a repeat answers the same: batches make several tasks, which
-- task_id cannot hold. task_id stays for single-file submits, so deleting the task frees the key.
alter table idempotency_keys add column if not exists answer jsonb;
update idempotency_keys set answer = jsonb_build_object('taskId', task_id, 'totalPages', total_pages, 'size', file_size)
  where task_id is not null and answer is null;
