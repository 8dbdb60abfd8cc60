-- A conversation whose welcome waits for the account's opening: its next customer message
-- is taken as its first.
ALTER TABLE conversations ADD COLUMN welcome_deferred BIGINT NOT NULL DEFAULT 0;
