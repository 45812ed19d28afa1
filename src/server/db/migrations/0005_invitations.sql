-- Invitations and their result (DESIGN §2.3–2.4): a LINE user befriends a member, and that
-- member gets a 1:1 room. Identity is (channel, LINE user id) in line_users; friendships and
-- rooms point at it, never at an editable contact. Unique constraints, not check-then-insert,
-- keep concurrent deliveries and instances from creating doubles.
CREATE TABLE invitation_links (
  member_id uuid PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  token text NOT NULL UNIQUE,
  -- The member ID the link was made for: once the ID changes, the link, QR and card stop working.
  issued_for_login_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE friendships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  line_user_id uuid NOT NULL REFERENCES line_users (id) ON DELETE CASCADE,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked')),
  via text NOT NULL CHECK (via IN ('link', 'qr', 'card', 'email', 'copy_link', 'message_id', 'follow')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (member_id, line_user_id)
);
CREATE INDEX friendships_line_user_idx ON friendships (line_user_id, state);

CREATE TABLE rooms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  line_user_id uuid NOT NULL REFERENCES line_users (id) ON DELETE CASCADE,
  friendship_id uuid NOT NULL UNIQUE REFERENCES friendships (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (member_id, line_user_id)
);
CREATE INDEX rooms_member_idx ON rooms (member_id, last_activity_at DESC, id);

-- Shared-channel routing: the member a LINE user's messages go to (the one befriended last, or
-- picked with the "talk to …" postback).
ALTER TABLE line_users ADD COLUMN current_member_id uuid REFERENCES members (id) ON DELETE SET NULL;

-- Invitation e-mails sent, for the per-member daily limit.
CREATE TABLE invitation_mail_sends (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  recipients integer NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitation_mail_sends_member_idx ON invitation_mail_sends (member_id, sent_at);
