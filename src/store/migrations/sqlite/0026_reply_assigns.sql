-- Whether an agent who replies to an unassigned conversation of this team becomes its
-- assignee (on by default, as agents coming from Chatwoot expect).
ALTER TABLE teams ADD COLUMN reply_assigns INTEGER NOT NULL DEFAULT 1;
