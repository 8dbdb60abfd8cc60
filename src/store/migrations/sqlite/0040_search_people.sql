-- Search, continued (0011).
--
-- Search finds what people wrote: the customers' messages, the agents' replies and notes, not
-- routing's automatic messages (the welcome, the fallback, the assignment notice, the FAQ
-- answers), whose same text is in every conversation: a search for a word of the welcome
-- would match them all. The query says the same (conversations.c, SEARCH_MATCHES).
--
-- The indexes are written once per transaction, at its commit, rather than by each row's
-- trigger: a row to index waits in *_fts_pending (its id), and every write transaction of the
-- server moves what waits into the indexes just before its COMMIT, with
-- `DELETE FROM search_index_now` (sqlite.c, commit).
-- FTS5 writes what it holds in memory to a new segment at every statement boundary of the
-- transaction (its xSavepoint and xRelease), so a row indexed by a trigger cost a segment write
-- and its merges at the next statement: a quarter of the group writer's work
-- (docs/BENCHMARK.md). A search reads the ids that wait too, so a row is found however it was
-- written (a migration, the sqlite3 shell) before a commit of the server indexed it.
CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY);
CREATE TABLE contacts_fts_pending (id INTEGER PRIMARY KEY);
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TRIGGER contacts_fts_insert;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_update;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
	WHEN new.text IS NOT NULL AND new.sender <> 'routing' BEGIN
	INSERT INTO messages_fts_pending (id) VALUES (new.id);
END;
-- A row that waits is not in the index yet: it stops waiting. One indexed leaves the index.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
	WHEN old.text IS NOT NULL AND old.sender <> 'routing' BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text
		WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id);
	DELETE FROM messages_fts_pending WHERE id = old.id;
END;
-- An edit: a row that waits is indexed with the text it has then; one indexed, again now.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
	WHEN new.sender <> 'routing'
	AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = new.id) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text)
		SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
END;

CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
	INSERT INTO contacts_fts_pending (id) VALUES (new.id);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
	INSERT INTO contacts_fts (contacts_fts, rowid, name, phone)
		SELECT 'delete', old.id, old.name, old.phone
		WHERE NOT EXISTS (SELECT 1 FROM contacts_fts_pending WHERE id = old.id);
	DELETE FROM contacts_fts_pending WHERE id = old.id;
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, phone ON contacts
	WHEN NOT EXISTS (SELECT 1 FROM contacts_fts_pending WHERE id = new.id) BEGIN
	INSERT INTO contacts_fts (contacts_fts, rowid, name, phone)
		VALUES ('delete', old.id, old.name, old.phone);
	INSERT INTO contacts_fts (rowid, name, phone) VALUES (new.id, new.name, new.phone);
END;

-- What waits, into the indexes: a view of one row, whose deletion runs this. CROSS JOIN keeps
-- the waiting ids the outer loop: SQLite would rather read every message.
CREATE VIEW search_index_now AS SELECT 1 AS one;
CREATE TRIGGER search_index_run INSTEAD OF DELETE ON search_index_now BEGIN
	INSERT INTO messages_fts (rowid, text) SELECT m.id, m.text FROM messages_fts_pending p
		CROSS JOIN messages m ON m.id = p.id WHERE m.text IS NOT NULL;
	DELETE FROM messages_fts_pending;
	INSERT INTO contacts_fts (rowid, name, phone) SELECT c.id, c.name, c.phone
		FROM contacts_fts_pending p CROSS JOIN contacts c ON c.id = p.id;
	DELETE FROM contacts_fts_pending;
END;

INSERT INTO messages_fts (messages_fts, rowid, text)
	SELECT 'delete', id, text FROM messages WHERE sender = 'routing' AND text IS NOT NULL;
