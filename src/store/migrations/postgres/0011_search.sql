-- The inbox at scale (docs/BENCHMARK.md, scenario 4).
--
-- Search (`q` of GET /api/v1/conversations): trigram indexes (pg_trgm, a trusted extension
-- in PostgreSQL's contrib) of the messages' text and the contacts' name and phone, so that
-- a substring is found from the index instead of by reading every message. SQLite's 0011
-- builds FTS5 trigram tables kept by triggers; here the indexes keep themselves. They index
-- ascii_lower() (0001), the case folding of SQLite's LIKE (A-Z only) that the search promises, so
-- that `ascii_lower(text) LIKE ascii_lower(pattern)` finds its rows from them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_text_trgm ON messages USING gin (ascii_lower(text) gin_trgm_ops);
CREATE INDEX contacts_name_trgm ON contacts USING gin (ascii_lower(name) gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (ascii_lower(phone) gin_trgm_ops);

-- A contact's conversations, for the contacts that match a search: conversations_contact
-- (migration 0008).
