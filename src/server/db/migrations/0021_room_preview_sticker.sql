-- Issue 11, stickers as pictures: the room list shows the last message's sticker as a small picture
-- beside "[Sticker]". The preview text stays language- and id-free (notifications and digest mails
-- show it as it is), so the sticker id gets its own column, null unless the last message is a sticker.
ALTER TABLE rooms ADD COLUMN last_message_sticker_id text;

UPDATE rooms r SET last_message_sticker_id = m.payload->>'stickerId'
FROM (SELECT DISTINCT ON (room_id) room_id, type, payload FROM messages WHERE direction <> 'system'
      ORDER BY room_id, created_at DESC, id DESC) m
WHERE m.room_id = r.id AND m.type = 'sticker' AND r.last_message_type = 'sticker';
