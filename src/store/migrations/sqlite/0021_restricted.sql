-- centralita: foreign_keys=off
-- The restricted agent: a third role, and the account's choice to mask customers' phone
-- numbers and e-mail addresses for them.
--
-- SQLite cannot change a CHECK constraint in place, so users is rebuilt as 0010 rebuilt
-- channels (new table, copy, drop, rename, indexes again), with foreign keys off; accounts
-- is rebuilt the same way for its new column, so the file can run again on a database whose
-- later migrations were undone (as the upgrade tests do).

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

CREATE TABLE accounts_new (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL, -- itself: every table carries account_id
	name TEXT NOT NULL,
	-- 1: restricted agents see customers' phone numbers and e-mail addresses masked
	mask_restricted INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
INSERT INTO accounts_new (id, account_id, name, created_at)
SELECT id, account_id, name, created_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
