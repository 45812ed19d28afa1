-- Who sees a contact, stored on the contact (issue 13, item 2). The rule is unchanged: everyone
-- in the company when access_range = 'ALL', else the members and teams of its contact_access rows
-- (the owner's row among them). Asking contact_access per listed row made every list page a
-- subquery per contact — on PGlite a hashed subplan that read all of the member's access rows
-- (52 ms for the first page at 100k contacts). Now a contact carries the ids that let someone see
-- it — the tenant's id for ALL, and every member and team id of its access rows — and a member
-- sees it when that array shares an id with theirs (tenant, self, their teams): one array test
-- per row, no subquery. Team membership is not stored here, so joining or leaving a team needs no
-- rewrite of contacts. The owner is stored beside it for the same reason: "may edit" asked
-- contact_access per row too (on PostgreSQL 15 a hashed subplan over 50k access rows).
ALTER TABLE contacts ADD COLUMN audience uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN owner_id uuid;

CREATE FUNCTION contact_audience(contact uuid, tenant uuid, access_range text) RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN access_range = 'ALL' THEN ARRAY[tenant] ELSE '{}'::uuid[] END
    || ARRAY(SELECT coalesce(a.member_id, a.team_id) FROM contact_access a WHERE a.contact_id = contact ORDER BY 1)
$$;

CREATE FUNCTION contact_owner(contact uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT a.member_id FROM contact_access a WHERE a.contact_id = contact AND a.is_owner
$$;

-- A new contact has no access rows yet (they reference it), so an insert needs no lookup; a
-- privacy change flips the tenant entry.
CREATE FUNCTION contacts_set_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.audience := CASE WHEN NEW.access_range = 'ALL' THEN ARRAY[NEW.tenant_id] ELSE '{}'::uuid[] END;
    NEW.owner_id := NULL;
  ELSE
    NEW.audience := contact_audience(NEW.id, NEW.tenant_id, NEW.access_range);
    NEW.owner_id := contact_owner(NEW.id);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER contacts_audience BEFORE INSERT OR UPDATE OF access_range ON contacts
  FOR EACH ROW EXECUTE FUNCTION contacts_set_audience();

-- Any change to access rows — a share, an owner hand-over, a member or team deleted (their rows
-- go by cascade) — recomputes the affected contacts in the same transaction, once per statement
-- and set-based (the same result as contact_audience / contact_owner), so a bulk insert of access
-- rows costs one join, not a lookup per contact.
CREATE FUNCTION contact_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contacts c
     SET audience = CASE WHEN c.access_range = 'ALL' THEN ARRAY[c.tenant_id] ELSE '{}'::uuid[] END || x.ids,
         owner_id = x.owner
    FROM (SELECT ch.contact_id,
                 coalesce(array_agg(coalesce(a.member_id, a.team_id) ORDER BY coalesce(a.member_id, a.team_id))
                            FILTER (WHERE a.id IS NOT NULL), '{}') AS ids,
                 (array_agg(a.member_id) FILTER (WHERE a.is_owner))[1] AS owner
            FROM (SELECT DISTINCT contact_id FROM changed) ch LEFT JOIN contact_access a ON a.contact_id = ch.contact_id
           GROUP BY ch.contact_id) x
   WHERE c.id = x.contact_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER contact_access_inserted AFTER INSERT ON contact_access
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_access_changed();
CREATE TRIGGER contact_access_updated AFTER UPDATE ON contact_access
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_access_changed();
CREATE TRIGGER contact_access_deleted AFTER DELETE ON contact_access
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_access_changed();

UPDATE contacts SET audience = contact_audience(id, tenant_id, access_range), owner_id = contact_owner(id);
