-- The language the company's LINE account speaks to a LINE user whose LINE language is not one
-- Tsunagu has words for (issue 11: one language per LINE user, their LINE language else the company's).
ALTER TABLE tenants ADD COLUMN line_language text NOT NULL DEFAULT 'en' CHECK (line_language IN ('en', 'ja', 'ko'));

-- Read receipts (issue 11): when a member opens a room, LINE shows the LINE user "Read" on their
-- messages (POST /v2/bot/chat/markAsRead). An administrator setting, on by default.
ALTER TABLE tenants ADD COLUMN line_read_receipts boolean NOT NULL DEFAULT true;

-- Typing (issue 11): while a member types, LINE shows the LINE user its loading animation
-- (POST /v2/bot/chat/loading/start). An administrator setting, on by default.
ALTER TABLE tenants ADD COLUMN line_typing boolean NOT NULL DEFAULT true;
