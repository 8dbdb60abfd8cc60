-- A timeline line's structure, so that the web inbox says it in the reader's language:
-- {"code": "assigned", "actor": "Ana", "name": "Bruno"} (docs/API.md lists the codes).
-- NULL for lines written before, and for those with no structure: `text` says them.
ALTER TABLE conversation_events ADD COLUMN detail TEXT;
