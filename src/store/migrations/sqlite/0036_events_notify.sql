-- PostgreSQL's 0036 notifies the other servers of new events. One SQLite file has one server,
-- which hears of its own commits in-process: nothing to change here; the number keeps the two
-- in step.
SELECT 1;
