-- What the model was sent for a page (src/activities/page-image.ts): its size in pixels and bytes and
-- its type; null for a page never sent (blank, unreadable) and for pages saved before.
alter table pages
  add column if not exists sent_width integer,
  add column if not exists sent_height integer,
  add column if not exists sent_bytes integer,
  add column if not exists sent_type text;
-- What the service noticed about the file itself (src/contract/tasks.ts, TASK_WARNINGS), at upload.
alter table tasks add column if not exists warnings text[] not null default '{}';
