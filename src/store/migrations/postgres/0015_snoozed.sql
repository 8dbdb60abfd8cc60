-- The scheduler asks for the earliest end of a snooze: an index on the snoozed ones only.
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';
