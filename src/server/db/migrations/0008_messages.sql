-- Messages in 1:1 rooms with LINE users (DESIGN §2.4, §3). Inbound media is copied into our file
-- store at once (LINE deletes user content after a while); outbound messages keep their
-- X-Line-Retry-Key so a retried push is accepted once.
CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  type text NOT NULL CHECK (type IN ('text', 'sticker', 'image', 'video', 'audio', 'file', 'location')),
  payload jsonb NOT NULL DEFAULT '{}',
  -- Media bytes in the file store; content_state tracks the copy from LINE (inbound) or the upload (outbound).
  content_key text,
  content_type text,
  content_state text NOT NULL DEFAULT 'none' CHECK (content_state IN ('none', 'pending', 'stored', 'failed')),
  line_message_id text,
  sender_member_id uuid REFERENCES members (id) ON DELETE SET NULL,
  delivery_state text NOT NULL CHECK (delivery_state IN ('received', 'sending', 'sent', 'failed')),
  delivery_error text,
  retry_key uuid UNIQUE,
  unsent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX messages_room_idx ON messages (room_id, created_at DESC, id DESC);
-- One stored copy per LINE message, however often its event is retried.
CREATE UNIQUE INDEX messages_inbound_line_id_key ON messages (room_id, line_message_id) WHERE direction = 'inbound';

ALTER TABLE rooms
  ADD COLUMN unread_count integer NOT NULL DEFAULT 0,
  ADD COLUMN last_message_preview text;
