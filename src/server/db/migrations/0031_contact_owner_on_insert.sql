-- A new contact and its owner's access row are written by one statement (contacts/repository.ts
-- `insert`), and the contact names its owner as it is inserted, so its audience is right from
-- the start. 0014 left both to the access row's trigger, which then rewrote the contact it had
-- just inserted: measured on PGlite, a card of a vCard import cost 2.7–3.0 ms of statements for
-- the contact and its owner (insert, owner row + that UPDATE, an empty DELETE of other access
-- rows), and 1.45–1.9 ms once the contact is written once.
CREATE OR REPLACE FUNCTION contacts_set_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- The owner's row follows in the same statement (the only access row a new contact has);
    -- should it not, the access trigger below puts the audience back to what the rows say.
    NEW.audience := CASE WHEN NEW.access_range = 'ALL' THEN ARRAY[NEW.tenant_id] ELSE '{}'::uuid[] END
      || CASE WHEN NEW.owner_id IS NULL THEN '{}'::uuid[] ELSE ARRAY[NEW.owner_id] END;
  ELSE
    NEW.audience := contact_audience(NEW.id, NEW.tenant_id, NEW.access_range);
    NEW.owner_id := contact_owner(NEW.id);
  END IF;
  RETURN NEW;
END
$$;

-- As 0014, but a contact whose audience and owner already are what its access rows say is left
-- alone (no new row version): a new contact's owner row, or a share that changes nothing.
CREATE OR REPLACE FUNCTION contact_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contacts c
     SET audience = x.audience, owner_id = x.owner
    FROM (SELECT co.id,
                 CASE WHEN co.access_range = 'ALL' THEN ARRAY[co.tenant_id] ELSE '{}'::uuid[] END
                   || coalesce(array_agg(coalesce(a.member_id, a.team_id) ORDER BY coalesce(a.member_id, a.team_id))
                                 FILTER (WHERE a.id IS NOT NULL), '{}') AS audience,
                 (array_agg(a.member_id) FILTER (WHERE a.is_owner))[1] AS owner
            FROM (SELECT DISTINCT contact_id FROM changed) ch
            JOIN contacts co ON co.id = ch.contact_id
            LEFT JOIN contact_access a ON a.contact_id = ch.contact_id
           GROUP BY co.id) x
   WHERE c.id = x.id AND (c.audience IS DISTINCT FROM x.audience OR c.owner_id IS DISTINCT FROM x.owner);
  RETURN NULL;
END
$$;
