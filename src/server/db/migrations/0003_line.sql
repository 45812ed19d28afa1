-- The LINE connector (DESIGN §3): a company's Messaging API channels, the LINE users who
-- befriended them, the durable webhook inbox, and LINE Login round trips in flight.
-- Secrets are stored as AES-256-GCM ciphertext (src/server/line/secrets.ts), never in clear.
CREATE TABLE line_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- LINE's numeric Messaging API channel id; it names the webhook URL, so it is unique service-wide.
  channel_id text NOT NULL UNIQUE,
  mode text NOT NULL DEFAULT 'shared' CHECK (mode IN ('dedicated', 'shared')),
  -- The member a 'dedicated' channel befriends; NULL for 'shared' (or once that member is deleted).
  dedicated_member_id uuid REFERENCES members (id) ON DELETE SET NULL,
  channel_secret_enc text NOT NULL,
  -- 'static': a long-lived token pasted by the admin; 'issued': short-lived tokens issued from
  -- channel id + secret and re-issued before access_token_expires_at.
  token_source text NOT NULL DEFAULT 'static' CHECK (token_source IN ('static', 'issued')),
  access_token_enc text,
  access_token_expires_at timestamptz,
  login_channel_id text,
  login_channel_secret_enc text,
  basic_id text,
  bot_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (token_source = 'issued' OR access_token_enc IS NOT NULL)
);
CREATE INDEX line_channels_tenant_idx ON line_channels (tenant_id, created_at);

CREATE TABLE line_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel_id uuid NOT NULL REFERENCES line_channels (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  display_name text,
  picture_url text,
  -- The avatar copied into the file store, so a contact's photo survives LINE URL changes.
  picture_file_key text,
  status_message text,
  language text,
  follow_state text NOT NULL DEFAULT 'unknown' CHECK (follow_state IN ('unknown', 'followed', 'blocked')),
  followed_at timestamptz,
  blocked_at timestamptz,
  synced_at timestamptz,
  -- Set when a profile sync job is queued, so a burst of events queues one sync, not hundreds.
  sync_requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel_id, user_id)
);
CREATE INDEX line_users_stale_idx ON line_users (synced_at NULLS FIRST) WHERE follow_state = 'followed';

-- The webhook inbox: an event answered 200 is in this table, and its job in `jobs`, in the
-- same commit. webhook_event_id makes LINE's redeliveries and duplicates no-ops.
CREATE TABLE webhook_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_event_id text NOT NULL UNIQUE,
  channel_id uuid NOT NULL REFERENCES line_channels (id) ON DELETE CASCADE,
  event_type text NOT NULL,
  line_user_id text,
  event_timestamp timestamptz NOT NULL,
  event jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'failed', 'ignored')),
  last_error text,
  processed_at timestamptz
);
CREATE INDEX webhook_events_state_idx ON webhook_events (channel_id, state, received_at DESC);

CREATE TABLE line_login_states (
  state text PRIMARY KEY,
  channel_id uuid NOT NULL REFERENCES line_channels (id) ON DELETE CASCADE,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  purpose jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX line_login_states_expiry_idx ON line_login_states (expires_at);
