-- Hardening (issue 13): the login throttle counts per attempt source, and API tokens may
-- expire and end with a password change.
--
-- Login attempts per client address and folded e-mail (the e-mail '' counts every e-mail
-- from the address). Counted before the password is checked; the old per-e-mail counts
-- are dropped (they start over).
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
	source TEXT NOT NULL,
	email TEXT NOT NULL,
	failures BIGINT NOT NULL,
	last_failure_at BIGINT NOT NULL,
	locked_until BIGINT NOT NULL,
	PRIMARY KEY (source, email)
);

-- NULL: never expires. Tokens made before this revoke with a password change, as new ones
-- do unless asked otherwise.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoke_on_password_change BIGINT NOT NULL DEFAULT 1;
