-- The language the company's LINE account speaks to a LINE user whose LINE language is not one
-- Tsunagu has words for (issue 11: one language per LINE user, their LINE language else the company's).
ALTER TABLE tenants ADD COLUMN line_language text NOT NULL DEFAULT 'en' CHECK (line_language IN ('en', 'ja', 'ko'));
