-- The restricted agent: a third role, and the account's choice to mask customers' phone
-- numbers and e-mail addresses for them. PostgreSQL changes the CHECK in place.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
	CHECK (role IN ('admin', 'agent', 'restricted'));

-- 1: restricted agents see customers' phone numbers and e-mail addresses masked.
ALTER TABLE accounts ADD COLUMN mask_restricted BIGINT NOT NULL DEFAULT 0;
