-- Whether a member going offline hands their open conversations of this team back to its
-- method (off by default: an agent may go offline for a minute).
ALTER TABLE teams ADD COLUMN reassign_offline INTEGER NOT NULL DEFAULT 0;
