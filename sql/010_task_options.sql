-- What the caller chose for a task (contract TaskOptions: model, prompt, dpi, image_format), used by
-- every run of it; {} for tasks that chose nothing, and for tasks made before.
alter table tasks add column if not exists options jsonb not null default '{}'::jsonb;
