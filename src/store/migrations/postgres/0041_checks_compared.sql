-- SQLite's 0041 writes its CHECK constraints' IN lists as comparisons, which it checks without
-- building a table of the values. PostgreSQL checks an IN list as it is: nothing to change
-- here; the number keeps the two in step.
SELECT 1;
