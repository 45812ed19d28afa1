-- Issue 14 "every word localized": a push is written in the language of the device's web app (a
-- photo, sticker or file was pushed with an empty or bare file-name body, as the room's preview is
-- language-free since 0018). The web app sends its language when
-- it registers the device and again when the member switches; devices registered before say English
-- until then. Additive with a default, so the previous version keeps running during a deploy.
ALTER TABLE push_subscriptions ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ja', 'ko'));
