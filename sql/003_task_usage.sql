-- Tokens the model reported, summed per task by the same statement that recounts a task's pages
-- (so lists read them from the row, without aggregating pages), and the model the task ran with
-- (recorded when it starts: MODEL may change later, and prices are per model).
alter table tasks
  add column prompt_tokens     bigint not null default 0,
  add column completion_tokens bigint not null default 0,
  add column model             text;

update tasks t set prompt_tokens = u.prompt_tokens, completion_tokens = u.completion_tokens
from (select task_id, coalesce(sum(prompt_tokens), 0) as prompt_tokens, coalesce(sum(completion_tokens), 0) as completion_tokens
      from pages group by task_id) u
where u.task_id = t.id;
