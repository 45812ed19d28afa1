-- App passwords (docs/carddav.md): what CardDAV clients send over HTTP Basic instead of the
-- member's sign-in password. Only a keyed hash of the random secret is stored; the secret is
-- shown once, when it is made. Revoking deletes the row.
CREATE TABLE app_passwords (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
  secret_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX app_passwords_member_idx ON app_passwords (member_id, created_at);

-- RFC 6578 sync tokens. A token names the exact set of cards (contact id and version) a member's
-- address book held when it was handed out, so the next sync is a diff against that set: changes
-- of visibility (sharing, teams, Trash) show up as additions and removals like any edit. Tokens
-- are content hashes, so members who see the same cards share one stored state.
CREATE TABLE carddav_sync_states (
  token text PRIMARY KEY,
  -- "contactId version" lines, sorted by contact id.
  cards text NOT NULL,
  created_at timestamptz NOT NULL
);

-- Which member was handed which token: a token works only for a member it was given to. No
-- foreign key to the state: pruning may race with a new grant of the same token, and a token
-- whose state is gone is simply invalid, which makes the client sync from scratch (RFC 6578 §3.2).
CREATE TABLE carddav_sync_grants (
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  token text NOT NULL,
  handed_out_at timestamptz NOT NULL,
  PRIMARY KEY (member_id, token)
);
CREATE INDEX carddav_sync_grants_token_idx ON carddav_sync_grants (token);
