-- The queue, rebuilt on graphile-worker's ideas (docs/decisions.md "Job queue"):
-- * a finished job is deleted, so the table holds only work still to do (it was never pruned);
-- * a claimed job is 'running' with a lease, so ready-job indexes hold only claimable rows;
-- * jobs that share an ordering key (one LINE user's events) are claimed through job_keys: one
--   row per key with work, ready when next_run_at has passed and no worker holds it. Claiming
--   reads a handful of key rows whatever the backlog, instead of testing every pending job
--   against the jobs ahead of it (142 ms with 9,000 pending);
-- * `singleton` keeps one pending-or-running copy of a periodic job across instances.
DELETE FROM jobs WHERE state = 'done';
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('pending', 'running', 'dead'));
ALTER TABLE jobs DROP COLUMN finished_at;
ALTER TABLE jobs ADD COLUMN singleton text;
ALTER TABLE jobs ADD COLUMN dead_at timestamptz;

DROP INDEX jobs_pending_idx;
DROP INDEX jobs_ordering_idx;
DROP INDEX jobs_line_event_idx;
CREATE INDEX jobs_ready_idx ON jobs (run_at, id) WHERE state = 'pending' AND ordering_key IS NULL;
CREATE INDEX jobs_key_idx ON jobs (ordering_key, ordered_at, id) WHERE state <> 'dead' AND ordering_key IS NOT NULL;
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_dead_idx ON jobs (dead_at) WHERE state = 'dead';
CREATE UNIQUE INDEX jobs_singleton_idx ON jobs (singleton) WHERE state <> 'dead';

CREATE TABLE job_keys (
  key text PRIMARY KEY,
  -- When the key's first job (by ordered_at, id) may run; never later than that (a lower bound
  -- while enqueues race), NULL when the key has no pending job.
  next_run_at timestamptz,
  locked_until timestamptz,
  -- Bumped by every enqueue, so a worker releasing the key knows whether it saw every job.
  version bigint NOT NULL DEFAULT 0
);
CREATE INDEX job_keys_ready_idx ON job_keys (next_run_at) WHERE next_run_at IS NOT NULL;
INSERT INTO job_keys (key, next_run_at)
  SELECT DISTINCT ON (ordering_key) ordering_key, run_at FROM jobs
  WHERE state = 'pending' AND ordering_key IS NOT NULL ORDER BY ordering_key, ordered_at, id;

-- How often each LINE event was tried lives with the event (it was read from its jobs).
ALTER TABLE webhook_events ADD COLUMN attempts integer NOT NULL DEFAULT 0;
UPDATE webhook_events e SET attempts = j.attempts
  FROM (SELECT DISTINCT ON (payload->>'eventId') payload->>'eventId' AS event_id, attempts FROM jobs
        WHERE kind = 'line.event' ORDER BY payload->>'eventId', id DESC) j
  WHERE j.event_id = e.id::text;

-- Real-time events are written by the changing transaction into an outbox, without any lock, and
-- moved into realtime_events by one sequencer at a time (realtime/hub.ts). Each member's event ids
-- still commit in increasing order, which resuming readers rely on; before, every publisher took
-- a per-recipient lock held through its commit, so all changes announced to one member committed
-- one after another (the busiest member capped the whole pipeline).
CREATE TABLE realtime_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
