-- The built-in SMTP capture (DESIGN §4: used when SMTP_URL is unset) keeps every message sent
-- through it, shown at /__mail. Attachment bytes are not stored twice: they are re-parsed from
-- the raw message when a part is asked for.
CREATE TABLE captured_mail (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  envelope_from text,
  envelope_to text[] NOT NULL DEFAULT '{}',
  subject text,
  text_body text,
  html_body text,
  raw bytea NOT NULL,
  -- [{filename, contentType, cid, size}] in message order.
  attachments jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX captured_mail_received_idx ON captured_mail (received_at DESC, id DESC);
