-- The inbox at scale (docs/BENCHMARK.md, scenario 4).
--
-- Search (`q` of GET /api/v1/conversations): trigram full-text indexes of the messages' text
-- and the contacts' name and phone, so that a substring is found from the index instead of
-- by reading every message. External content (the text is stored once, in its table), no
-- positions (detail=none: SQLite checks each candidate row with LIKE anyway), kept in step
-- with their tables by triggers, and built here for the rows that exist.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', content_rowid = 'id',
	tokenize = 'trigram', detail = none);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text)
		SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(name, phone, content = 'contacts',
	content_rowid = 'id', tokenize = 'trigram', detail = none);
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO contacts_fts (rowid, name, phone) VALUES (new.id, new.name, new.phone);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO contacts_fts (contacts_fts, rowid, name, phone)
		VALUES ('delete', old.id, old.name, old.phone);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, phone ON contacts BEGIN
	INSERT INTO contacts_fts (contacts_fts, rowid, name, phone)
		VALUES ('delete', old.id, old.name, old.phone);
	INSERT INTO contacts_fts (rowid, name, phone) VALUES (new.id, new.name, new.phone);
END;

-- A contact's conversations, for the contacts that match a search: conversations_contact
-- (migration 0008).
