-- What was done to a page on its way to the stored Markdown (src/contract/tasks.ts, PAGE_WARNINGS):
-- the clean-ups of the model's reply. Empty for pages saved before.
alter table pages add column if not exists warnings text[] not null default '{}';
