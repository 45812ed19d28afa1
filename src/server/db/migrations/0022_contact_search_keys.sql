-- Contact search keys scoped to the company (issue 13, items 1 and 5). Expand only: the grams
-- and trigram indexes of 0007/0009 stay, so the previous version keeps running on them during a
-- rolling deploy; dropping them is a later (contract) migration once no instance runs that code.
--
-- The two GIN indexes served every company from one posting list per gram: 田中 in one company
-- returned the 田中 of every company as candidates, each read from the heap before the tenant
-- test threw it away, so one company's searches slowed down as the others grew. Here one GIN
-- index serves text and phone digits, and every key carries the first 12 hex digits of
-- the company id (two companies share one with a chance of 2^-48 per pair, which would only cost
-- speed: the tenant test still decides), then 't' and each 1-, 2- and 3-character piece of the folded search
-- text without a space or line break, or 'd' and each 3-digit piece of the phone digits.
-- The repository asks for the query's pieces (its 3-character pieces, or the whole query when
-- shorter) and then tests the substring itself, so results are exactly the substring rule's.
CREATE FUNCTION contact_search_keys(tenant uuid, t text, d text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  p text := left(replace(tenant::text, '-', ''), 12);
  keys text[] := '{}';
  c text[];
  n int;
  w text;
BEGIN
  FOREACH w IN ARRAY regexp_split_to_array(t, '[ \n]+') LOOP
    c := regexp_split_to_array(w, '');
    n := cardinality(c);
    FOR i IN 1..n LOOP
      keys := keys || (p || 't' || c[i]);
      IF i < n THEN keys := keys || (p || 't' || c[i] || c[i + 1]); END IF;
      IF i + 1 < n THEN keys := keys || (p || 't' || c[i] || c[i + 1] || c[i + 2]); END IF;
    END LOOP;
  END LOOP;
  FOREACH w IN ARRAY regexp_split_to_array(d, ' +') LOOP
    FOR i IN 1..char_length(w) - 2 LOOP
      keys := keys || (p || 'd' || substr(w, i, 3));
    END LOOP;
  END LOOP;
  RETURN keys;
END
$$;

-- Built in the migration's transaction: reads of contacts go on meanwhile, writes wait for it
-- (measured in docs/benchmarks.md, 2026-11-30 search keys). CONCURRENTLY cannot run inside the
-- migration runner's single transaction.
CREATE INDEX contacts_search_keys ON contacts USING gin (contact_search_keys(tenant_id, search_text, search_digits));

-- The repository picks between walking the list and collecting through this index by the
-- planner's estimate of the candidates (contacts/repository.ts `list`), which needs statistics of
-- the new expression; autovacuum would gather them only after enough writes, PGlite never.
ANALYZE contacts;
