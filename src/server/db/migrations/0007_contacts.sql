-- External contacts ("Clients/Partners", DESIGN §2.5–2.9, §5). A contact may be linked to a LINE
-- user; its nickname and photo then mirror the LINE profile. Visibility is owner + privacy:
-- ALL (whole company) or MEMBER (the rows of contact_access). Deleting sets deleted_at (Trash);
-- the sweep job purges after tenants.trash_retention_days.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The privacy a new contact gets. MEMBER with no chosen members = the owner only.
ALTER TABLE tenants ADD COLUMN contact_default_access text NOT NULL DEFAULT 'MEMBER'
  CHECK (contact_default_access IN ('ALL', 'MEMBER'));

CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  line_user_id uuid REFERENCES line_users (id) ON DELETE SET NULL,
  last_name text NOT NULL DEFAULT '',
  first_name text NOT NULL DEFAULT '',
  phonetic_last_name text NOT NULL DEFAULT '',
  phonetic_first_name text NOT NULL DEFAULT '',
  nick_name text NOT NULL DEFAULT '',
  photo_key text,
  -- The line_users.picture_file_key the photo was copied from, so a newer avatar is noticed.
  photo_source_key text,
  emails jsonb NOT NULL DEFAULT '[]',
  telephones jsonb NOT NULL DEFAULT '[]',
  organizations jsonb NOT NULL DEFAULT '[]',
  addresses jsonb NOT NULL DEFAULT '[]',
  websites jsonb NOT NULL DEFAULT '[]',
  memo text NOT NULL DEFAULT '' CHECK (length(memo) <= 4000),
  access_range text NOT NULL CHECK (access_range IN ('ALL', 'MEMBER')),
  co_editing boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  -- Derived on every write (service): NFKC, lower case, katakana folded to hiragana; names,
  -- nickname, organizations and e-mails. Phones as digits only. Both served by trigram indexes,
  -- which work for Japanese and Korean where word-based full text search does not.
  search_text text NOT NULL DEFAULT '',
  search_digits text NOT NULL DEFAULT '',
  sort_name text NOT NULL DEFAULT '',
  created_by uuid REFERENCES members (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  deleted_by uuid REFERENCES members (id) ON DELETE SET NULL
);
CREATE INDEX contacts_tenant_name_idx ON contacts (tenant_id, sort_name COLLATE "C", id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_tenant_created_idx ON contacts (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX contacts_tenant_updated_idx ON contacts (tenant_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX contacts_trash_idx ON contacts (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_line_user_idx ON contacts (line_user_id) WHERE line_user_id IS NOT NULL;
CREATE INDEX contacts_search_text_trgm ON contacts USING gin (search_text gin_trgm_ops);
CREATE INDEX contacts_search_digits_trgm ON contacts USING gin (search_digits gin_trgm_ops);

-- Who may see a contact besides "everyone" (access_range ALL): exactly one owner row, written at
-- creation, plus chosen members and teams. A deleted member's rows go with them, which is how
-- a contact ends up with no owner (the admin screen lists those).
CREATE TABLE contact_access (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  member_id uuid REFERENCES members (id) ON DELETE CASCADE,
  team_id uuid REFERENCES teams (id) ON DELETE CASCADE,
  is_owner boolean NOT NULL DEFAULT false,
  CHECK ((member_id IS NULL) <> (team_id IS NULL)),
  CHECK (NOT is_owner OR member_id IS NOT NULL)
);
CREATE UNIQUE INDEX contact_access_owner_key ON contact_access (contact_id) WHERE is_owner;
CREATE UNIQUE INDEX contact_access_member_key ON contact_access (contact_id, member_id) WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX contact_access_team_key ON contact_access (contact_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX contact_access_member_idx ON contact_access (member_id, contact_id);
CREATE INDEX contact_access_team_idx ON contact_access (team_id, contact_id);

-- Company tags are seen by everyone who sees the contact; "my" tags only by the member who set them.
CREATE TABLE contact_tags (
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('company', 'mine')),
  -- The member for kind 'mine'; the nil uuid for company tags, so one unique key covers both.
  member_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
  PRIMARY KEY (contact_id, kind, member_id, name)
);
CREATE INDEX contact_tags_name_idx ON contact_tags (name, contact_id);

CREATE INDEX audit_log_created_idx ON audit_log (created_at);
