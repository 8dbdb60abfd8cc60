-- Canned responses: shortcuts (/horario) that agents insert into a reply. Placeholders such
-- as {contact_name} are stored as typed; the client fills them in.
CREATE TABLE canned_responses (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	shortcut TEXT NOT NULL, -- 1-32 of a-z 0-9 - _
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (account_id, shortcut)
);

-- The conversation's team and assignee before the change an event reports, so the people
-- who saw it there hear that it left (a transfer away from their team). For other events
-- they equal team_id and assignee_id.
ALTER TABLE events ADD COLUMN was_team_id INTEGER;
ALTER TABLE events ADD COLUMN was_assignee_id INTEGER;
UPDATE events SET was_team_id = team_id, was_assignee_id = assignee_id;
