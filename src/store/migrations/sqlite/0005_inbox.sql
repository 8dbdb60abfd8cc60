-- The agent inbox: read marks, tags, private notes, and the list's sort order.

-- The newest message an agent has read: the customer's messages after it are unread.
ALTER TABLE conversations ADD COLUMN last_read_message_id INTEGER NOT NULL DEFAULT 0;

-- The list walks (last_activity_at, id) newest first, also as its cursor.
DROP INDEX conversations_activity;
CREATE INDEX conversations_activity ON conversations (account_id, last_activity_at, id);

CREATE TABLE conversation_tags (
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	name TEXT NOT NULL, -- 1..64 of a-z 0-9 - _
	created_at INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, name)
);
CREATE INDEX conversation_tags_name ON conversation_tags (name, conversation_id);

-- Private notes: kept apart from messages so that nothing can ever send one.
CREATE TABLE conversation_notes (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, id);
