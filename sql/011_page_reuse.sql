-- Page results reused across tasks (src/tasks/reuse.ts): a completed page carries the key of what
-- shaped its answer (file, page, model, prompt, rendering); a later page with the same key copies
-- it instead of calling the model. A reused page costs nothing: its tokens are null and the
-- tokens its original cost are kept apart, on the page and summed on the task.
alter table pages
  add column if not exists reuse_key text,
  add column if not exists reused boolean not null default false,
  add column if not exists reused_prompt_tokens integer,
  add column if not exists reused_completion_tokens integer;
create index if not exists pages_reuse_key_idx on pages (reuse_key) where status = 'completed' and reuse_key is not null;

alter table tasks
  add column if not exists reused_pages integer not null default 0,
  add column if not exists reused_prompt_tokens integer not null default 0,
  add column if not exists reused_completion_tokens integer not null default 0;
