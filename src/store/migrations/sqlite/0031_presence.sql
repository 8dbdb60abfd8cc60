-- When a server last saw one of the user's event streams open (UTC ms; NULL: not since they
-- were last set online). An online user whose streams all closed longer ago than the grace
-- goes away (events/ writes it, accounts/ reads it).
ALTER TABLE users ADD COLUMN present_at INTEGER;
