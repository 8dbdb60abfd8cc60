-- What changed, for the event stream (GET /api/v1/events): written in the transaction of
-- the change it reports, kept at least 24 hours so a client can resume with Last-Event-ID.
-- AUTOINCREMENT: an id is never reused, even after the newest rows are deleted.
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
	team_id INTEGER, -- the conversation's team and assignee when it happened,
	assignee_id INTEGER, -- for the visibility rule (no references: history outlives them)
	kind TEXT NOT NULL, -- message.created, message.updated, conversation.updated
	data TEXT NOT NULL, -- a JSON object
	created_at INTEGER NOT NULL
);
CREATE INDEX events_created ON events (created_at);
