-- Issue 14 "every word localized": a push is written in the language of the device's web app (a
-- photo, sticker or file was pushed with an empty or bare file-name body, as the room's preview is
-- language-free since 0018). The web app sends its language when it registers the device and again
-- when the member switches; devices registered before say English until then. Additive with a
-- default, so the previous version keeps running during a deploy.
ALTER TABLE push_subscriptions ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ja', 'ko'));

-- A vCard import whose job used up its retries said "running" forever. It now ends as `failed`:
-- finished_at is when it ended either way, the uploaded text is dropped, and `done` tells how far
-- it got (only a `finished` import has taken every card). The names are the ones PostgreSQL gave
-- 0013's unnamed checks. During a deploy the previous version shows a failed import as ended (it
-- knows only running and finished); it never writes one.
ALTER TABLE contact_imports
  DROP CONSTRAINT contact_imports_state_check,
  DROP CONSTRAINT contact_imports_check2,
  DROP CONSTRAINT contact_imports_check3,
  ADD CONSTRAINT contact_imports_state_check CHECK (state IN ('running', 'finished', 'failed')),
  ADD CONSTRAINT contact_imports_ended_check CHECK ((state = 'running') = (finished_at IS NULL)),
  ADD CONSTRAINT contact_imports_kept_check CHECK (state = 'running' OR source IS NULL),
  ADD CONSTRAINT contact_imports_finished_check CHECK (state <> 'finished' OR done = total);
