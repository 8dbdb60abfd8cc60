/* Users: create, update, look up, list. Passwords arrive already hashed (auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/xmalloc.h"

static const char *const role_names[] = {
	[ROLE_AGENT] = "agent", [ROLE_ADMIN] = "admin", [ROLE_RESTRICTED] = "restricted"
};

const char *role_name(enum role role)
{
	return role_names[role];
}

int role_parse(const char *s, enum role *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	return -1;
}

const char *availability_name(enum availability availability)
{
	switch (availability) {
	case AVAILABILITY_ONLINE:
		return "online";
	case AVAILABILITY_AWAY:
		return "away";
	default:
		return "offline";
	}
}

static enum availability parse_availability(const char *s)
{
	if (strcmp(s, "online") == 0)
		return AVAILABILITY_ONLINE;
	if (strcmp(s, "away") == 0)
		return AVAILABILITY_AWAY;
	return AVAILABILITY_OFFLINE;
}

static void read_user(struct store_rows *r, void *item)
{
	struct user *u = item;
	memset(u, 0, sizeof(*u));
	u->id = store_int(r, 0);
	u->account_id = store_int(r, 1);
	snprintf(u->email, sizeof(u->email), "%s", store_text(r, 2));
	snprintf(u->name, sizeof(u->name), "%s", store_text(r, 3));
	role_parse(store_text(r, 4), &u->role);
	u->availability = parse_availability(store_text(r, 5));
	u->is_active = store_int(r, 6) != 0;
	u->created_at = store_int(r, 7);
	u->updated_at = store_int(r, 8);
}

/* Runs a query expected to give at most one user. */
static int query_one(struct store_tx *tx, const char *sql, const struct store_value *args,
                     int nargs, struct user *out, struct error *e)
{
	int rc = store_get_row(tx, sql, args, nargs, read_user, out);
	if (rc == ERR_NOT_FOUND)
		return error_set(e, rc, "no such user");
	return store_failed(e, rc);
}

int user_get(struct store_tx *tx, int64_t account_id, int64_t id, struct user *out, struct error *e)
{
	return query_one(
	    tx, "SELECT " USER_COLUMNS " FROM users u WHERE u.account_id = $1 AND u.id = $2",
	    STORE_ARGS(SV_INT(account_id), SV_INT(id)), out, e);
}

int user_find_email(struct store_tx *tx, const char *email, struct user *out, struct error *e)
{
	char folded[USER_EMAIL_MAX + 1];
	int rc = text_fold_email(email, folded, e);
	if (rc < 0)
		return rc;
	return query_one(tx, "SELECT " USER_COLUMNS " FROM users u WHERE u.email = $1",
	                 STORE_ARGS(SV_TEXT(folded)), out, e);
}

int users_query(struct store_tx *tx, const char *sql, const struct store_value *args, int nargs,
                struct user **out, size_t *n, struct error *e)
{
	void *items;
	int rc = store_collect(tx, sql, args, nargs, sizeof(struct user), read_user, &items, n);
	*out = items;
	return store_failed(e, rc);
}

int user_list(struct store_tx *tx, int64_t account_id, struct user **out, size_t *n,
              struct error *e)
{
	return users_query(
	    tx, "SELECT " USER_COLUMNS " FROM users u WHERE u.account_id = $1 ORDER BY u.id",
	    STORE_ARGS(SV_INT(account_id)), out, n, e);
}

int user_count(struct store_tx *tx, int64_t *n, struct error *e)
{
	return store_failed(e, store_get_int(tx, "SELECT count(*) FROM users", STORE_NO_ARGS, n));
}

int user_count_admins(struct store_tx *tx, int64_t account_id, int64_t *n, struct error *e)
{
	int rc = store_get_int(tx,
	                       "SELECT count(*) FROM users WHERE account_id = $1 AND role = 'admin'"
	                       " AND is_active = 1",
	                       STORE_ARGS(SV_INT(account_id)), n);
	return store_failed(e, rc);
}

/* The checked, normalised form of the fields a create or update sets. */
struct checked {
	char email[USER_EMAIL_MAX + 1];
	char name[USER_NAME_MAX + 1];
};

static int check_changes(const struct user_changes *in, struct checked *c, struct error *e)
{
	int rc = 0;
	if (in->email != NULL)
		rc = text_fold_email(in->email, c->email, e);
	if (rc == 0 && in->name != NULL)
		rc = text_check_name("name", in->name, USER_NAME_MAX, c->name, e);
	enum role role;
	if (rc == 0 && in->role != NULL && role_parse(in->role, &role) < 0)
		rc = error_set(e, ERR_INVALID,
		               "'role' must be \"admin\", \"agent\" or \"restricted\"");
	if (rc == 0 && in->availability != NULL && strcmp(in->availability, "online") != 0 &&
	    strcmp(in->availability, "away") != 0 && strcmp(in->availability, "offline") != 0)
		rc = error_set(e, ERR_INVALID,
		               "'availability' must be \"online\", \"away\" or \"offline\"");
	return rc;
}

int user_create(struct store_tx *tx, int64_t account_id, const struct user_changes *in, int64_t now,
                struct user *out, struct error *e)
{
	struct checked c;
	if (in->email == NULL || in->name == NULL || in->role == NULL || in->password_hash == NULL)
		return error_set(e, ERR_INVALID,
		                 "'email', 'name', 'role' and 'password' are required");
	int rc = check_changes(in, &c, e);
	if (rc < 0)
		return rc;
	int64_t id;
	rc = store_get_int(tx,
	                   "INSERT INTO users (account_id, email, name, role, password_hash,"
	                   " availability, is_active, created_at, updated_at)"
	                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
	                   STORE_ARGS(SV_INT(account_id), SV_TEXT(c.email), SV_TEXT(c.name),
	                              SV_TEXT(in->role), SV_TEXT(in->password_hash),
	                              SV_TEXT(in->availability ? in->availability : "offline"),
	                              SV_INT(in->is_active != 0), SV_INT(now)),
	                   &id);
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "email_taken", "email", 0,
		                  "a user with that e-mail already exists");
	if (rc < 0)
		return store_failed(e, rc);
	return user_get(tx, account_id, id, out, e);
}

/* True when the change would leave the account without an active admin. */
static int removes_last_admin(struct store_tx *tx, const struct user *u,
                              const struct user_changes *in, bool *removes)
{
	bool stays_admin = (in->role ? strcmp(in->role, "admin") == 0 : u->role == ROLE_ADMIN) &&
	                   (in->is_active >= 0 ? in->is_active != 0 : u->is_active);
	*removes = false;
	if (stays_admin || u->role != ROLE_ADMIN || !u->is_active)
		return 0;
	int64_t others;
	int rc = store_get_int(tx,
	                       "SELECT count(*) FROM users WHERE account_id = $1 AND id <> $2"
	                       " AND role = 'admin' AND is_active = 1",
	                       STORE_ARGS(SV_INT(u->account_id), SV_INT(u->id)), &others);
	*removes = rc == 0 && others == 0;
	return rc;
}

int user_update(struct store_tx *tx, int64_t account_id, int64_t id, const struct user_changes *in,
                int64_t now, struct user *out, struct error *e)
{
	struct checked c;
	struct user u;
	int rc = check_changes(in, &c, e);
	if (rc == 0)
		rc = user_get(tx, account_id, id, &u, e);
	if (rc < 0)
		return rc;
	bool removes;
	rc = removes_last_admin(tx, &u, in, &removes);
	if (rc < 0)
		return store_failed(e, rc);
	if (removes)
		return error_rule(e, ERR_UNPROCESSABLE, "last_admin", NULL, 0,
		                  "the account must keep at least one active admin");
	rc = store_exec(
	    tx,
	    "UPDATE users SET email = coalesce($3, email), name = coalesce($4, name),"
	    " role = coalesce($5, role), availability = coalesce($6, availability),"
	    " present_at = CASE WHEN $6 = 'online' THEN NULL ELSE present_at END,"
	    " password_hash = coalesce($7, password_hash),"
	    " is_active = coalesce($8, is_active), updated_at = $9"
	    " WHERE account_id = $1 AND id = $2",
	    STORE_ARGS(SV_INT(account_id), SV_INT(id), SV_TEXT_NULL(in->email ? c.email : NULL),
	               SV_TEXT_NULL(in->name ? c.name : NULL), SV_TEXT_NULL(in->role),
	               SV_TEXT_NULL(in->availability), SV_TEXT_NULL(in->password_hash),
	               in->is_active >= 0 ? SV_INT(in->is_active != 0) : SV_NULL, SV_INT(now)));
	if (rc == ERR_CONFLICT)
		return error_rule(e, ERR_CONFLICT, "email_taken", "email", 0,
		                  "a user with that e-mail already exists");
	if (rc >= 0 && (in->is_active == 0 || in->password_hash != NULL))
		rc = store_exec(tx, "DELETE FROM sessions WHERE user_id = $1",
		                STORE_ARGS(SV_INT(id)));
	/* Deactivated, every token goes; a new password takes those made to go with it. */
	if (rc >= 0 && (in->is_active == 0 || in->password_hash != NULL))
		rc = store_exec(tx,
		                "DELETE FROM api_tokens WHERE user_id = $1"
		                " AND ($2 = 1 OR revoke_on_password_change = 1)",
		                STORE_ARGS(SV_INT(id), SV_INT(in->is_active == 0)));
	if (rc < 0)
		return store_failed(e, rc);
	return user_get(tx, account_id, id, out, e);
}

json_t *user_json(const struct user *u)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:I,s:I}", "id", (json_int_t)u->id, "email",
	                 u->email, "name", u->name, "role", role_name(u->role), "availability",
	                 availability_name(u->availability), "active", u->is_active, "created_at",
	                 (json_int_t)u->created_at, "updated_at", (json_int_t)u->updated_at);
}

int user_presence_seen(struct store_tx *tx, const int64_t *ids, size_t n, int64_t now)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = store_exec(tx, "UPDATE users SET present_at = $2 WHERE id = $1",
		                STORE_ARGS(SV_INT(ids[i]), SV_INT(now)));
	return rc < 0 ? rc : 0;
}

int user_presence_reset(struct store_tx *tx, int64_t id)
{
	return store_exec(
	    tx, "UPDATE users SET present_at = NULL WHERE id = $1 AND present_at IS NOT NULL",
	    STORE_ARGS(SV_INT(id)));
}

int user_presence_expire(struct store_tx *tx, int64_t before, int64_t now)
{
	return store_exec(tx,
	                  "UPDATE users SET availability = 'away', updated_at = $2"
	                  " WHERE availability = 'online' AND present_at < $1",
	                  STORE_ARGS(SV_INT(before), SV_INT(now)));
}
