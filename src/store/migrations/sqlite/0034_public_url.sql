-- The public URL the server last started with (its flag, its environment, or where it
-- listens), so that the command line's webhook URLs and `simulate` reach the same server.
CREATE TABLE public_url (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	url TEXT NOT NULL,
	recorded_at INTEGER NOT NULL
);
