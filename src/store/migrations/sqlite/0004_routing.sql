-- Routing configuration (one per account) and the conversations' history of what happened
-- to them: routing steps, assignments, transfers, status changes.
CREATE TABLE routing_configs (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
	document TEXT NOT NULL, -- the configuration, teams by id
	updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE conversation_events (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	kind TEXT NOT NULL, -- routing, assignment, transfer, status
	user_id INTEGER REFERENCES users (id) ON DELETE SET NULL, -- NULL: routing or the system
	text TEXT NOT NULL, -- one line for people
	outcome TEXT,         -- routing steps: welcomed, matched, fell_back, gave_up
	option_index INTEGER, -- matched: the option, from 0
	created_at INTEGER NOT NULL
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, id);
CREATE INDEX conversation_events_outcome ON conversation_events (account_id, outcome, created_at);
