-- Response targets and reassignment, per team (minutes of business time; NULL: none), and
-- each conversation's current target.
ALTER TABLE teams ADD COLUMN first_response_minutes INTEGER;
ALTER TABLE teams ADD COLUMN next_response_minutes INTEGER;
ALTER TABLE teams ADD COLUMN reassign_after_minutes INTEGER;
-- When the conversation's current target falls due (UTC ms), NULL when nothing awaits an
-- answer; reassign_at: when its assignee has not answered by then, it goes to someone else.
ALTER TABLE conversations ADD COLUMN due_at INTEGER;
ALTER TABLE conversations ADD COLUMN reassign_at INTEGER;
CREATE INDEX conversations_due ON conversations (account_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX conversations_reassign ON conversations (reassign_at) WHERE reassign_at IS NOT NULL;

-- Every target set: which (first or next response), its team, when the customer's message
-- started it and when it fell due; how it ended (met: answered by due_at; missed: answered
-- later, or still waiting past due_at; dropped: resolved before it fell due) and who
-- answered, or the assignee when it ended otherwise.
CREATE TABLE response_targets (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL,
	kind TEXT NOT NULL CHECK (kind IN ('first', 'next')),
	started_at INTEGER NOT NULL,
	due_at INTEGER NOT NULL,
	ended_at INTEGER,
	outcome TEXT CHECK (outcome IN ('met', 'missed', 'dropped')),
	user_id INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX response_targets_due ON response_targets (account_id, due_at);
CREATE INDEX response_targets_open ON response_targets (conversation_id) WHERE ended_at IS NULL;
