-- Contacts as a CRM: tags, custom attributes (keys declared by an admin), the record of
-- merges, the contact list's order, and events about a contact for the event stream.

CREATE TABLE contact_tags (
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	name TEXT NOT NULL, -- 1..64 of a-z 0-9 - _, as conversation tags
	created_at INTEGER NOT NULL,
	PRIMARY KEY (contact_id, name)
);
CREATE INDEX contact_tags_name ON contact_tags (name, contact_id);

-- The attribute keys an admin declared; a value can only be set for one of them.
CREATE TABLE contact_attribute_keys (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	key TEXT NOT NULL, -- 1..64 of a-z 0-9 _
	label TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, key)
);

CREATE TABLE contact_attributes (
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	key TEXT NOT NULL,
	value TEXT NOT NULL, -- up to 1024 bytes
	PRIMARY KEY (contact_id, key)
);
CREATE INDEX contact_attributes_key ON contact_attributes (key);

-- Who merged which contact into which, and when; the merged contact no longer exists, so
-- its id and name are kept here. A survivor merged later takes its records along.
CREATE TABLE contact_merges (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	merged_contact_id INTEGER NOT NULL,
	merged_name TEXT NOT NULL,
	user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX contact_merges_contact ON contact_merges (contact_id, id);

-- The list walks (updated_at, id) newest first; a contact's conversations by contact.
CREATE INDEX contacts_updated ON contacts (account_id, updated_at, id);
CREATE INDEX conversations_contact ON conversations (contact_id, id);

-- An event about a contact (no conversation): for the admins when user_id is NULL, else
-- for that one agent, who could see the contact when it happened.
ALTER TABLE events ADD COLUMN contact_id INTEGER;
ALTER TABLE events ADD COLUMN user_id INTEGER;
