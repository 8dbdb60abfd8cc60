-- Event ids commit in the order they are drawn. A stream reads the events after the last id it
-- sent; with several servers writing at once a lower id could otherwise commit after a higher
-- one was read, and never be sent. Every statement that inserts events first takes one
-- transaction-level advisory lock, before its rows draw their ids, and holds it until its
-- transaction ends: event writers queue from their first event to their commit (docs/DECISIONS.md).
CREATE FUNCTION events_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(111542170822259); -- 'events' in ASCII
	RETURN NULL;
END$$;
CREATE TRIGGER events_order BEFORE INSERT ON events
	FOR EACH STATEMENT EXECUTE FUNCTION events_order();
