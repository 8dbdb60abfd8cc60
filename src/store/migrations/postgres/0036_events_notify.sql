-- A transaction that records events tells the other servers when it commits, so their event
-- streams wake at once rather than at their next look (store_listen in store.h). The payload
-- is the writing store's id (set on each of its sessions), so a server can ignore its own
-- notifications: it hears of its own commits in-process. PostgreSQL sends one notification per
-- transaction for the same channel and payload, however many statements insert events.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('centralita_events', coalesce(current_setting('centralita.server', true), ''));
	RETURN NULL;
END$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
	FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
