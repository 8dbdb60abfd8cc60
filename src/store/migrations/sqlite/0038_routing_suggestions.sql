-- What routing learns from the team (docs/ROUTING.md, "Suggestions"). A conversation keeps
-- the last reply routing decided on (its route_reply_key: normalised, without numbers or
-- addresses), when, and where it sent it, until an agent's first transfer reads it.
ALTER TABLE conversations ADD COLUMN routed_reply TEXT;
ALTER TABLE conversations ADD COLUMN routed_at INTEGER;
ALTER TABLE conversations ADD COLUMN routed_team_id INTEGER;
ALTER TABLE conversations ADD COLUMN routed_option INTEGER;
-- Replies that fell back, and replies whose conversations agents moved to another team soon
-- after routing placed them (or took out of the general inbox after a fallback), with how
-- often: at most 300 of each per account, the least seen (then the oldest) forgotten first,
-- and none older than 90 days read.
CREATE TABLE routing_replies (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	text TEXT NOT NULL,
	seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	UNIQUE (account_id, text)
);
CREATE INDEX routing_replies_rank ON routing_replies (account_id, seen, last_seen);
CREATE TABLE routing_moves (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	text TEXT NOT NULL,
	team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	UNIQUE (account_id, text, team_id)
);
CREATE INDEX routing_moves_rank ON routing_moves (account_id, seen, last_seen);
-- Words an admin dismissed: never suggested again.
CREATE TABLE routing_dismissed (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, text)
);
