-- The demo users' passwords, kept so that `centralita demo logins` can print them again. Only
-- the demo account (CENTRALITA_DEMO=1 on a new database) writes here; every other password
-- exists only as its hash.
CREATE TABLE demo_logins (
  user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  password TEXT NOT NULL
);
