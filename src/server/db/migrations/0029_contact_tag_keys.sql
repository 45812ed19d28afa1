-- A contact's tags, copied onto the contact as keys scoped to whoever may filter by them (issue 13,
-- item 1; docs/decisions.md "Tags on the contact"). The tag filter was a probe of contact_tags per
-- row walked, and a rare tag's collect a primary-key probe per tagged contact; its name index was
-- not scoped to the company, so a rare tag read every company's rows of that name. Here a tag test
-- is an array overlap on the contact's own row, and a rare tag is one GIN probe of this company's
-- (or this member's) keys that yields the rows' places.
--
-- A company tag's key is the first 12 hex digits of the company id (as 0022's search keys), 'c'
-- and the name; a member's own tag's key is the member id's 32 hex digits, 'm' and the name
-- (member ids are unique across companies). contacts/repository.ts `tagKeys` builds the same keys
-- for a filter, and bench/contacts-seed.ts for a bulk load.
CREATE FUNCTION contact_tag_key(tenant uuid, kind text, member uuid, name text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE kind WHEN 'company' THEN left(replace(tenant::text, '-', ''), 12) || 'c' || name
                   ELSE replace(member::text, '-', '') || 'm' || name END
$$;

ALTER TABLE contacts ADD COLUMN tag_keys text[] NOT NULL DEFAULT '{}';

-- Any change to tag rows — an edit's replace, an import, a contact purged (its rows go by
-- cascade, and the contact with them) — recomputes the affected contacts in the same
-- transaction, once per statement and set-based, as 0014 does for the audience.
CREATE FUNCTION contact_tag_keys_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE contacts c
     SET tag_keys = x.keys
    FROM (SELECT co.id,
                 coalesce(array_agg(DISTINCT contact_tag_key(co.tenant_id, t.kind, t.member_id, t.name)) FILTER (WHERE t.name IS NOT NULL), '{}') AS keys
            FROM contacts co LEFT JOIN contact_tags t ON t.contact_id = co.id
           WHERE co.id = ANY (ids)
           GROUP BY co.id) x
   WHERE c.id = x.id AND c.tag_keys IS DISTINCT FROM x.keys
$$;
CREATE FUNCTION contact_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- An update could move a tag to another contact: both the old and the new one change.
  IF TG_OP = 'UPDATE' THEN
    PERFORM contact_tag_keys_refresh(ARRAY(SELECT contact_id FROM changed UNION SELECT contact_id FROM gone));
  ELSE
    PERFORM contact_tag_keys_refresh(ARRAY(SELECT DISTINCT contact_id FROM changed));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER contact_tags_inserted AFTER INSERT ON contact_tags
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_changed();
CREATE TRIGGER contact_tags_updated AFTER UPDATE ON contact_tags
  REFERENCING OLD TABLE AS gone NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_changed();
CREATE TRIGGER contact_tags_deleted AFTER DELETE ON contact_tags
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION contact_tags_changed();

UPDATE contacts c
   SET tag_keys = x.keys
  FROM (SELECT t.contact_id, array_agg(DISTINCT contact_tag_key(co.tenant_id, t.kind, t.member_id, t.name)) AS keys
          FROM contact_tags t JOIN contacts co ON co.id = t.contact_id
         GROUP BY t.contact_id) x
 WHERE c.id = x.contact_id;

CREATE INDEX contacts_tag_keys ON contacts USING gin (tag_keys);

-- The repository's walk-or-collect choice reads the planner's estimate of a tag test, which needs
-- the new column's statistics (PGlite has no autovacuum to gather them).
ANALYZE contacts;
