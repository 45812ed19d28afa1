-- vCard imports run in the background, a chunk of cards per transaction (contacts/imports.ts).
-- `done` commits with each chunk's contacts, so a restarted job continues after the last card
-- taken instead of importing any twice. The uploaded text is kept only while the import runs.
CREATE TABLE contact_imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  source text,
  total integer NOT NULL CHECK (total > 0),
  done integer NOT NULL DEFAULT 0 CHECK (done BETWEEN 0 AND total),
  failed integer NOT NULL DEFAULT 0 CHECK (failed BETWEEN 0 AND done),
  -- The skipped cards: [{ "index": 0-based position in the file, "name": its FN, "errors": [text, …] }, …]
  report jsonb NOT NULL DEFAULT '[]',
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finished')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  CHECK ((state = 'finished') = (finished_at IS NOT NULL)),
  CHECK (state = 'running' OR (source IS NULL AND done = total))
);
CREATE INDEX contact_imports_member ON contact_imports (member_id, created_at DESC);
