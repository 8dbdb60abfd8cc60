-- PostgreSQL: the same as SQLite's 0019. The fingerprint of the key that seals channel
-- credentials (core/seal.h): a start with a lost or another key file is refused instead of
-- sealing new credentials that the old ones cannot be told apart from.
CREATE TABLE secret_key (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT NOT NULL,
	recorded_at BIGINT NOT NULL
);
