-- The inbox at scale (docs/BENCHMARK.md, scenario 4).
--
-- Search (`q` of GET /api/v1/conversations): trigram indexes (pg_trgm, a trusted extension
-- of PostgreSQL's contrib) of the messages' text and the contacts' name and phone, so that
-- a substring is found from the index instead of by reading every message. SQLite's 0011
-- builds FTS5 trigram tables kept by triggers; here the indexes keep themselves.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops);
CREATE INDEX contacts_name_trgm ON contacts USING gin (name gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (phone gin_trgm_ops);

-- A contact's conversations, for the contacts that match a search: conversations_contact
-- (migration 0008).
