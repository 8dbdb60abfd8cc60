-- Whether a member going offline hands their open conversations of this team back to its
-- method.
ALTER TABLE teams ADD COLUMN reassign_offline BIGINT NOT NULL DEFAULT 0;
