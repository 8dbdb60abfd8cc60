/*
 * visibility/: the rule's two forms agree. Over generated actors (admins, agents in no, one
 * and two teams, a restricted agent in a team, of two accounts) and conversations (the general
 * inbox, each team, assigned to each person or nobody, every status), the SQL rule
 * (conversation_get, through CONVERSATION_VISIBLE in a real SQLite database) and visibility_sees()
 * give the same answer for every pair; a restricted agent sees exactly what is assigned to them.
 * And what a masked actor sees of a phone number and an e-mail address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

#include "inbox/inbox.h"
#include "visibility/visibility.h"

#define ACCOUNTS 2
#define TEAMS    3 /* per account: team 0 and 1 have members, team 2 none */
#define PEOPLE   5 /* per account: an admin, agents in 0, 1 and 2 teams, a restricted agent */

static const char *const statuses[] = { "routing", "open", "pending", "snoozed", "resolved" };

static char path[512];

struct world {
	struct store *st;
	struct actor people[ACCOUNTS][PEOPLE];
	int64_t teams[ACCOUNTS][TEAMS];
	struct team_membership members[ACCOUNTS * 4];
	size_t nmembers;
};

static void exec(struct store_tx *tx, const char *sql, const struct store_value *args, int n)
{
	assert_true(store_exec(tx, sql, args, n) >= 0);
}

static void add_person(struct store_tx *tx, struct world *w, int a, int p)
{
	char email[64];
	snprintf(email, sizeof(email), "p%d-%d@example.com", a, p);
	struct user_changes in = { .email = email,
		                   .name = "Person",
		                   .role = p == 0   ? "admin"
		                           : p == 4 ? "restricted"
		                                    : "agent",
		                   .password_hash = "x",
		                   .is_active = 1 };
	struct user u;
	struct error e;
	assert_int_equal(user_create(tx, a + 1, &in, 1, &u, &e), 0);
	w->people[a][p] = (struct actor){ .account_id = a + 1, .user_id = u.id, .role = u.role };
}

static void join(struct store_tx *tx, struct world *w, int a, int p, int t)
{
	struct error e;
	assert_int_equal(team_member_add(tx, a + 1, w->teams[a][t], w->people[a][p].user_id, 1, &e),
	                 0);
	w->members[w->nmembers++] =
	    (struct team_membership){ w->people[a][p].user_id, w->teams[a][t] };
}

/* One conversation of account a in team_id (0: none) assigned to assignee (0: nobody). */
static int64_t add_conversation(struct store_tx *tx, int a, int64_t team_id, int64_t assignee,
                                const char *status)
{
	static int n;
	char external[32];
	snprintf(external, sizeof(external), "customer-%d", ++n);
	int64_t contact, identity, id;
	assert_int_equal(store_get_int(tx,
	                               "INSERT INTO contacts (account_id, name, created_at,"
	                               " updated_at) VALUES ($1, 'C', 1, 1) RETURNING id",
	                               STORE_ARGS(SV_INT(a + 1)), &contact),
	                 0);
	assert_int_equal(
	    store_get_int(tx,
	                  "INSERT INTO contact_identities (account_id, contact_id,"
	                  " channel_id, external_id, created_at)"
	                  " VALUES ($1, $2, $1, $3, 1) RETURNING id",
	                  STORE_ARGS(SV_INT(a + 1), SV_INT(contact), SV_TEXT(external)), &identity),
	    0);
	assert_int_equal(
	    store_get_int(tx,
	                  "INSERT INTO conversations (account_id, channel_id, contact_id,"
	                  " identity_id, status, team_id, assignee_id, last_activity_at,"
	                  " created_at, updated_at) VALUES ($1, $1, $2, $3, $4, $5, $6, 1, 1, 1)"
	                  " RETURNING id",
	                  STORE_ARGS(SV_INT(a + 1), SV_INT(contact), SV_INT(identity),
	                             SV_TEXT(status), team_id ? SV_INT(team_id) : SV_NULL,
	                             assignee ? SV_INT(assignee) : SV_NULL),
	                  &id),
	    0);
	return id;
}

static int setup(void **state)
{
	test_db_new(path, sizeof(path), "test_visibility");
	struct world *w = calloc(1, sizeof(*w));
	struct error e;
	int applied;
	assert_int_equal(store_open(path, 2, 5000, &w->st, &e), 0);
	assert_int_equal(store_migrate(w->st, &applied, &e), 0);
	struct store_tx *tx = store_begin(w->st, STORE_WRITE);
	assert_non_null(tx);
	exec(tx, "INSERT INTO accounts (id, account_id, name, created_at) VALUES (2, 2, 'B', 0)",
	     STORE_NO_ARGS);
	for (int a = 0; a < ACCOUNTS; a++) {
		/* A channel whose id is the account's, for the conversations' foreign keys. */
		exec(
		    tx,
		    "INSERT INTO channels (id, account_id, kind, name, external_id, credentials,"
		    " hints, created_at, updated_at) VALUES ($1, $1, 'telegram', 'T', $1, '', '{}',"
		    " 1, 1)",
		    STORE_ARGS(SV_INT(a + 1)));
		for (int p = 0; p < PEOPLE; p++)
			add_person(tx, w, a, p);
		for (int t = 0; t < TEAMS; t++) {
			char name[16];
			struct team team;
			snprintf(name, sizeof(name), "Team %d", t);
			assert_int_equal(team_create(tx, a + 1, name, 1, &team, &e), 0);
			w->teams[a][t] = team.id;
		}
		join(tx, w, a, 2, 0); /* person 2: one team */
		join(tx, w, a, 3, 0); /* person 3: two teams */
		join(tx, w, a, 3, 1);
		join(tx, w, a, 4, 0); /* person 4: restricted, in a team */
	}
	assert_int_equal(store_commit(tx), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	store_close(w->st);
	free(w);
	test_db_remove(path);
	return 0;
}

static void test_sql_and_c_agree(void **state)
{
	struct world *w = *state;
	struct store_tx *tx = store_begin(w->st, STORE_WRITE);
	assert_non_null(tx);
	size_t pairs = 0, seen = 0;
	for (int a = 0; a < ACCOUNTS; a++) {
		/* Every place: the general inbox or a team, assigned to nobody or anyone. */
		for (int t = -1; t < TEAMS; t++) {
			for (int p = -1; p < PEOPLE; p++) {
				for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]);
				     s++) {
					int64_t team_id = t < 0 ? 0 : w->teams[a][t];
					int64_t assignee = p < 0 ? 0 : w->people[a][p].user_id;
					int64_t id =
					    add_conversation(tx, a, team_id, assignee, statuses[s]);
					for (int b = 0; b < ACCOUNTS; b++) {
						for (int q = 0; q < PEOPLE; q++) {
							const struct actor *who = &w->people[b][q];
							struct conversation c;
							struct error e;
							int rc =
							    conversation_get(tx, who, id, &c, &e);
							assert_true(rc == 0 || rc == ERR_NOT_FOUND);
							bool by_sql = rc == 0;
							bool by_c = visibility_sees(
							    who, a + 1, team_id, assignee,
							    w->members, w->nmembers);
							if (by_sql != by_c)
								fail_msg(
								    "account %d team %d assignee %d %s, "
								    "actor %d/%d: SQL %d, C %d",
								    a, t, p, statuses[s], b, q,
								    by_sql, by_c);
							if (who->role == ROLE_RESTRICTED)
								assert_int_equal(by_sql,
								                 assignee ==
								                     who->user_id);
							pairs++;
							seen += by_sql;
						}
					}
				}
			}
		}
	}
	store_rollback(tx);
	/* Both answers occur: the comparison is not between two constant rules. */
	assert_true(seen > 0 && seen < pairs);
}

static void test_masks(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "+34600000022", "+34 6\u2022\u2022 \u2022\u2022\u2022 \u202222" },
		{ "+34 600-000-022", "+34 6\u2022\u2022 \u2022\u2022\u2022 \u202222" },
		{ "5215512345678", "52 1\u2022\u2022 \u2022\u2022\u2022 \u2022\u2022\u2022 78" },
		{ "12345", "\u2022\u2022 \u2022\u2022\u2022" },
		{ "", "" },
	};
	char out[VISIBILITY_MASKED_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		visibility_mask_phone(cases[i][0], out);
		assert_string_equal(out, cases[i][1]);
	}
	static const char *const emails[][2] = {
		{ "lucia@example.com", "l\u2022\u2022\u2022@\u2022\u2022\u2022.com" },
		{ "\u00e1lvaro@correo.es", "\u00e1\u2022\u2022\u2022@\u2022\u2022\u2022.es" },
		{ "nobody", "\u2022\u2022\u2022" },
		{ "@example.com", "\u2022\u2022\u2022" },
		{ "a@localhost", "\u2022\u2022\u2022" },
	};
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
		visibility_mask_email(emails[i][0], out);
		assert_string_equal(out, emails[i][1]);
	}
	/* The longest phone the API accepts fits. */
	char digits[CONTACT_PHONE_MAX + 1];
	memset(digits, '9', CONTACT_PHONE_MAX);
	digits[CONTACT_PHONE_MAX] = '\0';
	visibility_mask_phone(digits, out);
	assert_true(strlen(out) < sizeof(out) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sql_and_c_agree, setup, teardown),
		cmocka_unit_test(test_masks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
