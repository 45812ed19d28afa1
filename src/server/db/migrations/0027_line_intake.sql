-- The webhook ack's one row (docs/decisions.md, "The ack stores one row"): a group of LINE deliveries,
-- as the rows webhook_events and jobs will get, committed before LINE hears 200. The job worker moves
-- it into webhook_events and jobs in one statement and deletes it. Only a primary key: the ack pays
-- for one heap row and one index entry, where storing the events themselves cost three tables' rows
-- and eight index entries per event.
CREATE TABLE line_intake (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- How many events the row holds: a feed takes rows up to a number of events, not of rows.
  event_count int NOT NULL,
  events jsonb NOT NULL
);
