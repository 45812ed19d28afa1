-- Room previews said "[File] a.pdf", "[Image]", "[Sticker]" in English to every member. The room
-- now keeps the last message's type beside a language-free preview (the text, a file name, a
-- place's title, or nothing), and the web app words the kind in the member's language.
ALTER TABLE rooms ADD COLUMN last_message_type text;

UPDATE rooms r SET last_message_type = m.type
FROM (SELECT DISTINCT ON (room_id) room_id, type FROM messages ORDER BY room_id, created_at DESC, id DESC) m
WHERE m.room_id = r.id;

UPDATE rooms SET last_message_preview = regexp_replace(last_message_preview, '^\[(File|Location|Image|Video|Audio|Sticker)\] ?', '')
WHERE last_message_type IS NOT NULL AND last_message_type <> 'text';
