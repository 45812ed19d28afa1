-- Companies, their members and teams, sign-in sessions. The LINE gate lives on the tenant
-- (policy) and on the member (per-member grant), see DESIGN §2.1.
CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  plan text NOT NULL DEFAULT 'standard' CHECK (plan IN ('standard', 'core')),
  contact_quota integer NOT NULL DEFAULT 100000 CHECK (contact_quota >= 0),
  line_policy text NOT NULL DEFAULT 'deny' CHECK (line_policy IN ('deny', 'allow')),
  line_grant text NOT NULL DEFAULT 'all' CHECK (line_grant IN ('all', 'by_member')),
  line_grant_new_members boolean NOT NULL DEFAULT true,
  line_files_allowed boolean NOT NULL DEFAULT true,
  trash_retention_days integer NOT NULL DEFAULT 30 CHECK (trash_retention_days BETWEEN 1 AND 365),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The member's ID; it is also their My Message ID, unique across the whole service.
  login_id text NOT NULL,
  email text NOT NULL,
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  phone text,
  department text,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
  photo_key text,
  password_hash text,
  -- Per-member grant, consulted when the tenant grants LINE "by member".
  line_allowed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX members_login_id_key ON members (lower(login_id));
CREATE UNIQUE INDEX members_email_key ON members (lower(email));
CREATE INDEX members_tenant_idx ON members (tenant_id, display_name);

CREATE TABLE teams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE team_members (
  team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_member_idx ON team_members (member_id);

-- Only a hash of the session token is stored, so a database leak does not hand out sessions.
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  member_id uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_member_idx ON sessions (member_id);

-- Failed sign-ins per login name; kept in the database so every instance enforces the same limit.
CREATE TABLE signin_failures (
  login_key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
