-- centralita: foreign_keys=off
-- Web chat, the fifth channel kind, and its visitors.
--
-- SQLite cannot change a CHECK constraint in place, so channels is rebuilt with SQLite's
-- documented procedure (https://sqlite.org/lang_altertable.html#otheralter): new table,
-- copy, drop, rename, indexes again. Other tables reference channels by name, so the
-- migration runner applies this file with foreign keys off (the first line asks for it;
-- SQLite ignores that pragma inside a transaction, so it is set before BEGIN) and commits
-- only when PRAGMA foreign_key_check comes back empty.

CREATE TABLE channels_new (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	kind TEXT NOT NULL
		CHECK (kind IN ('whatsapp', 'messenger', 'instagram', 'telegram', 'webchat')),
	name TEXT NOT NULL,
	external_id TEXT NOT NULL, -- phone_number_id, page id, IG account id, Telegram bot id,
	                           -- the web chat's widget key (wck_…)
	credentials TEXT NOT NULL, -- sealed JSON (core/seal.h): tokens and secrets
	hints TEXT NOT NULL,       -- JSON: credential name -> its last 4 characters
	verify_token_hash TEXT,    -- SHA-256 of the Meta verify token, for the GET handshake
	telegram_mode TEXT CHECK (telegram_mode IN ('webhook', 'polling')),
	telegram_offset INTEGER NOT NULL DEFAULT 0, -- next getUpdates offset (polling)
	telegram_webhook_at INTEGER, -- when setWebhook last succeeded (webhook mode)
	allowed_origins TEXT,        -- web chat: JSON array of origins that may embed it; NULL: any
	is_active INTEGER NOT NULL DEFAULT 1,
	last_inbound_at INTEGER,
	last_error TEXT,
	last_error_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
INSERT INTO channels_new (id, account_id, kind, name, external_id, credentials, hints,
	verify_token_hash, telegram_mode, telegram_offset, telegram_webhook_at, is_active,
	last_inbound_at, last_error, last_error_at, created_at, updated_at)
SELECT id, account_id, kind, name, external_id, credentials, hints, verify_token_hash,
	telegram_mode, telegram_offset, telegram_webhook_at, is_active, last_inbound_at,
	last_error, last_error_at, created_at, updated_at FROM channels;
DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;
CREATE UNIQUE INDEX channels_external ON channels (kind, external_id) WHERE is_active = 1;
CREATE INDEX channels_verify ON channels (kind, verify_token_hash);

-- A visitor of a web chat: the browser that holds the token (only its hash is kept). Its
-- contact identity is created by ingest on its first message, with external_id 'web-<id>'.
CREATE TABLE webchat_visitors (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	token_hash TEXT NOT NULL UNIQUE,
	name TEXT,          -- what the visitor typed, if anything
	address TEXT NOT NULL, -- the client's IP address, for the per-address session limit
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX webchat_visitors_address ON webchat_visitors (address, created_at);
