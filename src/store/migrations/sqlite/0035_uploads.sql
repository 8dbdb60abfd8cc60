-- Files agents uploaded to attach to a message of one conversation (POST
-- /api/v1/conversations/:id/uploads): the bytes are in the file store under sha256; a reply
-- names the upload by id. Only an agent who may see the conversation can upload or attach.
CREATE TABLE uploads (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	user_id INTEGER NOT NULL REFERENCES users (id),
	sha256 TEXT NOT NULL REFERENCES files (sha256),
	kind TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video', 'document')),
	mime_type TEXT NOT NULL,
	file_name TEXT NOT NULL,
	size INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX uploads_conversation ON uploads (conversation_id);
