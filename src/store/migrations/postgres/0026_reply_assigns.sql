-- Whether a member who replies to an unassigned conversation of the team becomes its assignee.
ALTER TABLE teams ADD COLUMN reply_assigns BIGINT NOT NULL DEFAULT 1;
