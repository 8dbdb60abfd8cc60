-- centralita: foreign_keys=off
-- The restricted agent: a third role, and the account's choice to mask customers' phone
-- numbers and e-mail addresses for them.
--
-- SQLite cannot change a CHECK constraint in place, so users is rebuilt as 0010 rebuilt
-- channels (new table, copy, drop, rename, indexes again), with foreign keys off.

CREATE TABLE users_new (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	email TEXT NOT NULL, -- case-folded
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'restricted')),
	password_hash TEXT NOT NULL,
	is_active INTEGER NOT NULL DEFAULT 1,
	availability TEXT NOT NULL DEFAULT 'offline'
		CHECK (availability IN ('online', 'away', 'offline')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
INSERT INTO users_new (id, account_id, email, name, role, password_hash, is_active,
	availability, created_at, updated_at)
SELECT id, account_id, email, name, role, password_hash, is_active, availability, created_at,
	updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_account ON users (account_id);

-- 1: restricted agents see customers' phone numbers and e-mail addresses masked.
ALTER TABLE accounts ADD COLUMN mask_restricted INTEGER NOT NULL DEFAULT 0;
