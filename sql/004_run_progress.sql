-- Pages per minute and the ETA measure the current run: after a retry, the pages an earlier run
-- finished must count neither as this run's work nor its time.
alter table tasks
  add column run_started_at timestamptz,
  add column run_base_pages int not null default 0;
update tasks set run_started_at = started_at;
