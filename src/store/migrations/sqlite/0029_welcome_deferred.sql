-- A conversation whose welcome waits for the account's opening (its business hours say
-- "welcome_when_closed": false): its next customer message is taken as its first.
ALTER TABLE conversations ADD COLUMN welcome_deferred INTEGER NOT NULL DEFAULT 0;
