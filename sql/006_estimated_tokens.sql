-- Every model call's tokens count, the failed and stopped ones too (what the provider bills).
-- tokens_estimated: some of the count is an estimate, for a call stopped before the server reported its
-- usage (a loop cut off while streaming, a timeout), counted by the length of what it wrote; on a task,
-- for any of its pages, then or before a retry.
-- earlier_*_tokens: tokens of failed pages that a retry forgot (it deletes them to run them again), so
-- that the task's usage keeps what they cost.
alter table pages add column if not exists tokens_estimated boolean not null default false;
alter table tasks
  add column if not exists tokens_estimated boolean not null default false,
  add column if not exists earlier_prompt_tokens bigint not null default 0,
  add column if not exists earlier_completion_tokens bigint not null default 0;
