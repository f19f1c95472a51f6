-- The task list pages newest first with `order by created_at desc, id desc`: indexes in exactly that
-- order let Postgres read the page's ids from the index without an extra sort.
drop index if exists tasks_created_at_idx;
drop index if exists tasks_status_created_at_idx;
create index tasks_created_at_idx on tasks (created_at desc, id desc);
create index tasks_status_created_at_idx on tasks (status, created_at desc, id desc);
