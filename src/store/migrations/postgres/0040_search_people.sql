-- Search finds what people wrote: the customers' messages, the agents' replies and notes, not
-- routing's automatic messages (the welcome, the fallback, the assignment notice, the FAQ
-- answers), whose same text is in every conversation: a search for a word of the welcome
-- would match them all, and indexing that text was most of the index's cost per message
-- (docs/BENCHMARK.md). The query says the same (conversations.c, SEARCH_MATCHES), which lets
-- it use this partial index.
DROP INDEX messages_text_trgm;
CREATE INDEX messages_text_trgm ON messages USING gin (ascii_lower(text) gin_trgm_ops)
	WHERE sender <> 'routing';
