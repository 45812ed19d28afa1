-- The admin's failed-events list shows each event's attempts from its latest job; without this,
-- every page view read every line.event job ever queued.
CREATE INDEX jobs_line_event_idx ON jobs ((payload->>'eventId'), id DESC) WHERE kind = 'line.event';
