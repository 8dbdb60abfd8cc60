-- PostgreSQL's 0030 makes event ids commit in the order they are drawn. SQLite has one writer
-- at a time, so they always do: nothing to change here; the number keeps the two in step.
SELECT 1;
