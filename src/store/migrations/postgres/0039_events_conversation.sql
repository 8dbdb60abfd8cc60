-- Each new conversation places its events (events_place_new: UPDATE events … WHERE
-- conversation_id = $1), and deleting a conversation cascades to its events: without an index
-- both read every event of the last day. docs/BENCHMARK.md, "On PostgreSQL", found it.
CREATE INDEX events_conversation ON events (conversation_id);
