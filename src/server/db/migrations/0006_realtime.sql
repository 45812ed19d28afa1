-- Real-time events (DESIGN §4): one row per recipient, written in the transaction of the change
-- it reports, so an event exists exactly when the change commits. The id is the SSE event id a
-- browser resumes from (Last-Event-ID). Rows are short-lived: pruneRealtimeEvents() deletes them
-- after a retention period, and realtime_pruned remembers, per member, the newest id it removed,
-- so that a browser resuming from before that point is told to reload instead of silently
-- missing events.
CREATE TABLE realtime_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
-- "Events of member X after id N", the only read path besides pruning.
CREATE INDEX realtime_events_member_idx ON realtime_events (member_id, id);
CREATE INDEX realtime_events_created_idx ON realtime_events (created_at);

CREATE TABLE realtime_pruned (
  member_id uuid PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
  through_id bigint NOT NULL
);
