-- WhatsApp message templates: the channel's WhatsApp Business Account, when its templates
-- are next due to be read from Graph, and the templates of the last sync.
ALTER TABLE channels ADD COLUMN waba_id TEXT;
ALTER TABLE channels ADD COLUMN templates_due_at INTEGER; -- NULL: no sync planned
CREATE INDEX channels_templates_due ON channels (templates_due_at)
	WHERE templates_due_at IS NOT NULL;

CREATE TABLE whatsapp_templates (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	name TEXT NOT NULL,
	language TEXT NOT NULL,
	category TEXT NOT NULL,
	status TEXT NOT NULL,    -- as Graph says: APPROVED, PENDING, REJECTED, PAUSED…
	components TEXT NOT NULL, -- JSON array, as Graph gave it
	synced_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX whatsapp_templates_name ON whatsapp_templates (channel_id, name, language);
