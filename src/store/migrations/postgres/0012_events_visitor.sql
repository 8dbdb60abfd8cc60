-- Which events a web chat visitor's stream gets (its conversation's outgoing messages as they
-- become sent): set where the event is written, so the hub reads a column, not the JSON text.
ALTER TABLE events ADD COLUMN is_for_visitor BIGINT NOT NULL DEFAULT 0;
UPDATE events SET is_for_visitor = 1 WHERE kind = 'message.updated'
	AND data::jsonb ->> 'direction' = 'out' AND data::jsonb ->> 'status' = 'sent';
