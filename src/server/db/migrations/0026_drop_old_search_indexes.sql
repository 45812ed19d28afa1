-- The contract step of 0022: its company-scoped keys serve every search since 2026-11-30, and no
-- instance runs the code that read the trigram and grams indexes of 0007/0009 any more. They cost
-- every contact write three more GIN updates and ≈ 35 MB at 100k contacts, and slowed seeding.
-- pg_trgm stays installed: dropping an extension is not this migration's business.
DROP INDEX IF EXISTS contacts_search_text_trgm;
DROP INDEX IF EXISTS contacts_search_digits_trgm;
DROP INDEX IF EXISTS contacts_search_grams;
DROP FUNCTION IF EXISTS contact_search_grams(text);
