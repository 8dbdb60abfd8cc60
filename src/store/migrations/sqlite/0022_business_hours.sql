-- Business hours: one document (hours/hours.h) for the account (team_id NULL) and optionally
-- one per team; a team without its own uses the account's.
CREATE TABLE business_hours (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE,
	document TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX business_hours_owner ON business_hours (account_id, coalesce(team_id, 0));

-- A conversation that reached its team out of hours waits in the queue until the team opens:
-- then (UTC ms) the scheduler gives it to the team's method.
ALTER TABLE conversations ADD COLUMN queued_until INTEGER;
CREATE INDEX conversations_queued ON conversations (queued_until) WHERE queued_until IS NOT NULL;
