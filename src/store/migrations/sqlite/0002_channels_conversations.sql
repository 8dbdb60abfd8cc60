-- Channels, contacts and their channel identities, conversations, messages.

CREATE TABLE channels (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	kind TEXT NOT NULL CHECK (kind IN ('whatsapp', 'messenger', 'instagram', 'telegram')),
	name TEXT NOT NULL,
	external_id TEXT NOT NULL, -- phone_number_id, page id, IG account id, Telegram bot id
	credentials TEXT NOT NULL, -- sealed JSON (core/seal.h): tokens and secrets
	hints TEXT NOT NULL,       -- JSON: credential name -> its last 4 characters
	verify_token_hash TEXT,    -- SHA-256 of the Meta verify token, for the GET handshake
	telegram_mode TEXT CHECK (telegram_mode IN ('webhook', 'polling')),
	telegram_offset INTEGER NOT NULL DEFAULT 0, -- next getUpdates offset (polling)
	telegram_webhook_at INTEGER, -- when setWebhook last succeeded (webhook mode)
	is_active INTEGER NOT NULL DEFAULT 1,
	last_inbound_at INTEGER,
	last_error TEXT,
	last_error_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
-- A provider account is connected once at a time; a removed channel keeps its history.
CREATE UNIQUE INDEX channels_external ON channels (kind, external_id) WHERE is_active = 1;
CREATE INDEX channels_verify ON channels (kind, verify_token_hash);

CREATE TABLE contacts (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	name TEXT NOT NULL,
	phone TEXT,
	email TEXT,
	notes TEXT,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- How a contact is known on one channel: wa_id, PSID, IGSID, Telegram user id.
CREATE TABLE contact_identities (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	external_id TEXT NOT NULL,
	name TEXT,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contact_identities_external ON contact_identities (channel_id, external_id);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

CREATE TABLE conversations (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	-- who replies go to: the contact's identity on this channel
	identity_id INTEGER NOT NULL REFERENCES contact_identities (id),
	status TEXT NOT NULL
		CHECK (status IN ('routing', 'open', 'pending', 'snoozed', 'resolved')),
	team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL, -- NULL: the general inbox
	assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	routing_attempts INTEGER NOT NULL DEFAULT 0,
	last_customer_at INTEGER, -- when the customer last wrote: the providers' reply window
	last_activity_at INTEGER NOT NULL,
	resolved_at INTEGER,
	snoozed_until INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
-- One conversation that is not resolved per contact and channel.
CREATE UNIQUE INDEX conversations_current ON conversations (identity_id)
	WHERE status <> 'resolved';
CREATE INDEX conversations_identity ON conversations (identity_id, id);
CREATE INDEX conversations_activity ON conversations (account_id, last_activity_at);
CREATE INDEX conversations_team ON conversations (team_id, last_activity_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_activity_at);

CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	-- who wrote it: the contact, an agent (author_id), routing, or the business from the
	-- provider's own app (an echo)
	sender TEXT NOT NULL CHECK (sender IN ('contact', 'agent', 'routing', 'provider_app')),
	author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	type TEXT NOT NULL, -- text, reply, image, audio, video, document, sticker, location,
	                    -- contacts, unsupported
	raw_type TEXT,      -- the provider's own type name
	text TEXT,          -- body or caption
	details TEXT,       -- JSON: media reference, mime, file name, location, payload, …
	provider_message_id TEXT,
	status TEXT NOT NULL
		CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
	error_code INTEGER,
	error_title TEXT,
	edited_at INTEGER,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_provider ON messages (channel_id, provider_message_id);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
