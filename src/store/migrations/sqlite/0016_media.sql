-- Files, content-addressed: one row per distinct content (its bytes live in the file store,
-- src/media/), whichever messages use it.
CREATE TABLE files (
	sha256 TEXT PRIMARY KEY, -- 64 lowercase hex digits of the content's SHA-256
	size INTEGER NOT NULL,
	mime_type TEXT NOT NULL, -- as the provider or uploader declared it, checked as a token
	created_at INTEGER NOT NULL
);

-- The file of a media message and its fetch from the provider: 'pending' until the bytes are
-- stored ('ready', sha256 set) or the fetch gave up ('failed', error set). While pending it is
-- the scheduler's work: due at next_attempt_at, held by one server under a lease.
CREATE TABLE media (
	message_id INTEGER PRIMARY KEY REFERENCES messages (id),
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	kind TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video', 'document', 'sticker')),
	ref TEXT NOT NULL, -- the provider's media id (WhatsApp), file_id (Telegram) or URL (Meta)
	mime_type TEXT,    -- what the webhook said the file is, if it said
	state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'failed')),
	sha256 TEXT REFERENCES files (sha256),
	error TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER,
	lease_owner TEXT,
	lease_until INTEGER,
	created_at INTEGER NOT NULL
);
CREATE INDEX media_due ON media (next_attempt_at) WHERE state = 'pending';
