-- Notifications (issue 14): a member's settings, their devices' Web Push subscriptions, the
-- service's VAPID key pair, and which members have a web app open right now.

-- One row per member once they change a setting; no row = the defaults (on).
CREATE TABLE notification_settings (
  member_id uuid PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
  desktop boolean NOT NULL DEFAULT true,
  sound boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A browser's push subscription belongs to the session that made it: signing out (or a password
-- reset, which ends every session) deletes the session and with it the device's subscription.
CREATE TABLE push_subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  session_token_hash text NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
  endpoint text NOT NULL UNIQUE,
  p256dh text NOT NULL,
  auth text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_member_idx ON push_subscriptions (member_id);
CREATE INDEX push_subscriptions_session_idx ON push_subscriptions (session_token_hash);

-- One VAPID key pair for the whole deployment, in the database so every instance signs with the
-- same key (a browser's subscription is bound to the public key it was made with). The private
-- key is sealed with SECRET_KEY like the LINE channel secrets.
CREATE TABLE web_push_keys (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  public_key text NOT NULL,
  private_key_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Open real-time streams, one row each, refreshed by the stream's heartbeat. A member with a
-- fresh row has a web app open and is told in it; one without gets a Web Push. A crashed
-- instance's rows go stale and stop counting.
CREATE TABLE live_streams (
  id uuid PRIMARY KEY,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  seen_at timestamptz NOT NULL
);
CREATE INDEX live_streams_member_idx ON live_streams (member_id, seen_at);

-- System lines in a room's history (issue 14): the LINE user blocked or unblocked the account, the
-- member added them to contacts. They count as neither unread nor the room's preview.
ALTER TABLE messages DROP CONSTRAINT messages_direction_check,
  ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound', 'system'));
ALTER TABLE messages DROP CONSTRAINT messages_type_check,
  ADD CONSTRAINT messages_type_check CHECK (type IN ('text', 'sticker', 'image', 'video', 'audio', 'file', 'location', 'system'));
ALTER TABLE messages DROP CONSTRAINT messages_delivery_state_check,
  ADD CONSTRAINT messages_delivery_state_check CHECK (delivery_state IN ('received', 'sending', 'sent', 'failed', 'none'));

-- The optional e-mail digest of rooms left unread for N minutes, in the language the member set it in.
ALTER TABLE notification_settings
  ADD COLUMN digest_minutes integer CHECK (digest_minutes IN (15, 30, 60, 120)),
  ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ja', 'ko')),
  -- Messages up to here have been in a digest; a room comes back only with newer ones.
  ADD COLUMN digested_through timestamptz;
CREATE INDEX notification_settings_digest_idx ON notification_settings (member_id) WHERE digest_minutes IS NOT NULL;
