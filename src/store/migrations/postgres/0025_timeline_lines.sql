-- A timeline line's structure (see the SQLite migration of the same number).
ALTER TABLE conversation_events ADD COLUMN detail TEXT;
