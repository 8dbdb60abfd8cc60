-- Single-use tickets that open a web chat visitor's event stream (EventSource cannot send
-- headers, and the visitor's token must never be in a URL). Only the hash is kept; a ticket
-- lasts a minute and is deleted when used.
CREATE TABLE webchat_stream_tickets (
	ticket_hash TEXT PRIMARY KEY,
	visitor_id BIGINT NOT NULL REFERENCES webchat_visitors (id) ON DELETE CASCADE,
	expires_at BIGINT NOT NULL
);
CREATE INDEX webchat_stream_tickets_expiry ON webchat_stream_tickets (expires_at);
