-- Search folding shared by contacts and message rooms (issue 14): the shared normalizer
-- (src/server/search/normalize.ts) folds width, case and katakana to hiragana, and reads phone
-- numbers with libphonenumber-js.

-- A LINE user's display name as room search matches it. Written with every profile save from the
-- normalizer; existing names get the same folding in SQL here (NFKC, lower case, katakana →
-- hiragana), which the next profile sync replaces with the normalizer's own.
ALTER TABLE line_users ADD COLUMN search_name text NOT NULL DEFAULT '';
UPDATE line_users SET search_name = translate(lower(normalize(display_name, NFKC)),
  'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ',
  'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ')
WHERE display_name IS NOT NULL;

-- Stored phone digits gain the national form of international numbers ("+81 90-1111-2222" is
-- found by "090-1111"). Only the normalizer knows the numbering plans, so a background job
-- re-derives the search columns of existing contacts, a batch at a time (contacts.search-refresh).
INSERT INTO jobs (kind, payload) VALUES ('contacts.search-refresh', '{}');
