-- The company's own endpoints that hear of events (outbound webhooks), and the deliveries
-- queued for them in the transaction of each event.
CREATE TABLE webhooks (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	url TEXT NOT NULL,
	secret TEXT NOT NULL, -- sealed (core/seal.h): deliveries are signed with it
	is_enabled INTEGER NOT NULL DEFAULT 1,
	disabled_at INTEGER,
	disabled_reason TEXT,
	failing_since INTEGER, -- the first failed attempt since the last success
	disable_after_ms INTEGER NOT NULL DEFAULT 86400000, -- failing this long disables it
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id);

-- The event types an endpoint hears of.
CREATE TABLE webhook_subscriptions (
	webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	type TEXT NOT NULL,
	PRIMARY KEY (webhook_id, type)
);

-- One event for one endpoint, until it answers 2xx (then kept as 'delivered' for the log).
-- 'pending' may be sent now, 'sending' is leased by a sender, 'waiting' waits for its
-- retry at next_attempt_at (the scheduler makes it pending again).
CREATE TABLE webhook_deliveries (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id INTEGER NOT NULL, -- no reference: events are pruned after a day
	type TEXT NOT NULL,
	conversation_id INTEGER, -- deliveries about one conversation leave in order
	message_id INTEGER,
	contact_id INTEGER,
	payload TEXT, -- the JSON body, built once before the first attempt
	state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'waiting', 'delivered')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	lease_owner TEXT,
	lease_until INTEGER,
	created_at INTEGER NOT NULL,
	delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (webhook_id, conversation_id, id);
CREATE INDEX webhook_deliveries_unprepared ON webhook_deliveries (id) WHERE payload IS NULL;

-- Every attempt, for the endpoint's delivery log.
CREATE TABLE webhook_attempts (
	id INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	attempted_at INTEGER NOT NULL,
	status INTEGER, -- the HTTP status answered; NULL when there was no answer
	duration_ms INTEGER NOT NULL,
	error TEXT, -- why it failed, for people; NULL on success
	answer TEXT -- the first bytes of the answer, as valid UTF-8
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
