-- The outbox: one row per outgoing message until the provider accepts it (then the row is
-- deleted) or refuses it for good (kept as 'failed').
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	message_id INTEGER NOT NULL UNIQUE REFERENCES messages (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	lease_owner TEXT,     -- the worker that holds it while 'sending'
	lease_until INTEGER,  -- when another worker may take it back
	last_error TEXT,
	last_error_code INTEGER,
	queued_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_conversation ON outbox (conversation_id, id);
