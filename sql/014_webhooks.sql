-- Webhook events of a task and their deliveries (src/webhooks/, src/activities/webhooks.ts). An
-- event keeps the exact body it is signed and sent with, so every attempt sends the same bytes under
-- the same webhook-id; a delivery is that event to one URL (the task's webhook_url or the service's
-- WEBHOOK_URL), with the state of its attempts. Both go with their task.
create table if not exists webhook_events (
  id          text primary key,
  task_id     uuid not null references tasks (id) on delete cascade,
  type        text not null,
  body        text not null,
  occurred_at timestamptz not null
);
create index if not exists webhook_events_task_idx on webhook_events (task_id, occurred_at);

create table if not exists webhook_deliveries (
  event_id         text not null references webhook_events (id) on delete cascade,
  target           text not null check (target in ('task', 'service')),
  url              text not null,
  attempts         integer not null default 0,
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  next_attempt_at  timestamptz,
  outcome          text not null default 'pending' check (outcome in ('pending', 'delivered', 'failed')),
  delivered_at     timestamptz,
  primary key (event_id, target)
);
