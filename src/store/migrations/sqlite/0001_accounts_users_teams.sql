-- Accounts, users, sessions, API tokens, teams. Times are UTC milliseconds.
CREATE TABLE accounts (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL, -- itself: every table carries account_id
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
INSERT INTO accounts (id, account_id, name, created_at) VALUES (1, 1, 'Default', 0);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	email TEXT NOT NULL, -- case-folded
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
	password_hash TEXT NOT NULL,
	is_active INTEGER NOT NULL DEFAULT 1,
	availability TEXT NOT NULL DEFAULT 'offline'
		CHECK (availability IN ('online', 'away', 'offline')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	csrf_token TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed logins per e-mail, whether or not a user has it.
CREATE TABLE login_throttle (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	email TEXT NOT NULL PRIMARY KEY,
	failures INTEGER NOT NULL,
	last_failure_at INTEGER NOT NULL,
	locked_until INTEGER NOT NULL
);

CREATE TABLE teams (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	name TEXT NOT NULL,
	name_key TEXT NOT NULL, -- case-folded name, unique per account
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (account_id, name_key);

CREATE TABLE team_members (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
