-- The fingerprint of the key that seals channel credentials (core/seal.h): a start with a
-- lost or another key file is refused instead of sealing new credentials that the old ones
-- cannot be told apart from. One row, written by the first start that has a key.
CREATE TABLE secret_key (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT NOT NULL,
	recorded_at INTEGER NOT NULL
);
