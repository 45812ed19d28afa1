-- An intake row its feed cannot store (docs/decisions.md, "An intake row that cannot be fed waits
-- apart"): its failures are counted and it is passed over until retry_at, backing off like a job,
-- so the deliveries acknowledged after it are fed. It is kept: LINE was told it arrived.
ALTER TABLE line_intake
  ADD COLUMN failed_feeds int NOT NULL DEFAULT 0,
  ADD COLUMN last_error text,
  ADD COLUMN retry_at timestamptz;
