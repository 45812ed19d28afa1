-- Contact listing and search at 1M contacts (docs/benchmarks.md has the before/after).

-- A contact's access rows by contact: the list's visibility check, its owner and "accessible"
-- columns all look them up per contact. The partial unique indexes of 0007 cannot serve
-- `contact_id = …` alone, so every listed row cost a sequential scan of contact_access
-- (9.8 s for the first page at 1M). The included columns let the visibility check answer from
-- the index alone once the table is vacuumed.
CREATE INDEX contact_access_contact_idx ON contact_access (contact_id) INCLUDE (member_id, team_id, is_owner);

-- Trigrams cannot serve a query of one or two characters — and 田中, 민수 are exactly what
-- people type. Every character and every pair of adjacent characters of the folded search text
-- (whitespace, the field separator, left out: a query is trimmed, so a 1–2 character query never
-- contains one) go into an array; `@> ARRAY[query]` then finds the candidates, and the
-- repository's LIKE decides, so results are exactly what the LIKE alone returns.
CREATE FUNCTION contact_search_grams(t text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  c text[] := regexp_split_to_array(t, '');
  n int := cardinality(c);
  grams text[] := '{}';
BEGIN
  FOR i IN 1..n LOOP
    CONTINUE WHEN c[i] = ' ' OR c[i] = E'\n';
    grams := grams || c[i];
    IF i < n AND c[i + 1] <> ' ' AND c[i + 1] <> E'\n' THEN
      grams := grams || (c[i] || c[i + 1]);
    END IF;
  END LOOP;
  RETURN grams;
END
$$;
CREATE INDEX contacts_search_grams ON contacts USING gin (contact_search_grams(search_text));
