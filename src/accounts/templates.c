/*
 * WhatsApp message templates of a channel: read from the Graph API (every page, bounded) and
 * kept as the last sync saw them, listed for agents, and looked up to check a template send.
 * A sync never holds a transaction while it waits on the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/accounts.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define PAGE_ANSWER_MAX (1024 * 1024)        /* bytes of one page of the template list */
#define SYNC_EVERY_MS   (24LL * 3600 * 1000) /* a channel's templates are read once a day */
#define SYNC_RETRY_MS   (3600LL * 1000)      /* after a failed scheduled sync */
#define SYNC_ROUND_MAX  8                    /* channels one scheduled round syncs */

static const char *jstr_or(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "";
}

/* What a sync needs of the channel, read in a short transaction. */
struct sync_target {
	int64_t account_id;
	char waba_id[65];
	char *token;
};

static int read_target(struct store *st, const struct seal *seal, int64_t account_id, int64_t id,
                       struct sync_target *out, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_READ);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	struct channel c;
	struct channel_secrets sec = { 0 };
	int rc = account_id > 0 ? channel_get(tx, account_id, id, &c, e)
	                        : channel_find_active(tx, CHANNEL_WHATSAPP, id, &c, e);
	if (rc == 0 && (c.kind != CHANNEL_WHATSAPP || !c.is_active))
		rc =
		    error_set(e, ERR_UNPROCESSABLE, "templates belong to active WhatsApp channels");
	else if (rc == 0 && c.waba_id[0] == '\0')
		rc = error_set(e, ERR_UNPROCESSABLE,
		               "the channel has no 'waba_id': set its WhatsApp Business Account "
		               "id first (PATCH /api/v1/channels/%lld)",
		               (long long)id);
	if (rc == 0)
		rc = channel_secrets_get(tx, seal, id, &sec, e);
	store_rollback(tx);
	if (rc < 0)
		return rc;
	out->account_id = c.account_id;
	snprintf(out->waba_id, sizeof(out->waba_id), "%s", c.waba_id);
	out->token = sec.access_token;
	sec.access_token = NULL;
	channel_secrets_clear(&sec);
	return 0;
}

/* Every page of the list into *all; no transaction is open meanwhile. */
static int read_pages(const struct config *config, const struct sync_target *t, json_t **all,
                      struct error *e)
{
	struct channel_send s = { .kind = CHANNEL_WHATSAPP,
		                  .api_url = config->graph_api_url,
		                  .api_version = config->graph_api_version,
		                  .token = t->token };
	char *after = NULL;
	int rc = 0, pages = 0;
	*all = json_array();
	do {
		if (pages++ == TEMPLATE_PAGES_MAX) {
			rc = error_set(e, ERR_UPSTREAM,
			               "the Graph API's template list goes on past %d pages: "
			               "nothing was changed",
			               TEMPLATE_PAGES_MAX);
			break;
		}
		struct channel_request *req = NULL;
		rc = whatsapp_templates_request_new(&s, t->waba_id, after, &req, e);
		free(after);
		after = NULL;
		if (rc < 0)
			break;
		struct fetch f = { 0 };
		long status = 0;
		fetch_get(&f, req->url, req->headers, req->header_count,
		          (long)config->send_timeout_s * 1000, PAGE_ANSWER_MAX, NULL);
		if (curl_easy_perform(f.easy) == CURLE_OK)
			curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &status);
		json_t *page = NULL;
		if (status == 0)
			rc = error_set(e, ERR_UPSTREAM, "could not reach the Graph API (GET %s)",
			               req->url_for_log);
		else
			rc = whatsapp_templates_page_parse(status, f.answer.data, f.answer.len,
			                                   &page, &after, e);
		fetch_clear(&f);
		channel_request_free(req);
		if (rc == 0)
			json_array_extend(*all, page);
		json_decref(page);
	} while (rc == 0 && after != NULL);
	free(after);
	if (rc < 0) {
		json_decref(*all);
		*all = NULL;
	}
	return rc;
}

/* Replaces the channel's templates with those read, unless its account changed meanwhile. */
static int store_templates(struct store *st, int64_t id, const char *waba_id, const json_t *all,
                           int64_t now, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	int rc = store_exec(tx,
	                    "UPDATE channels SET templates_due_at = $3 WHERE id = $1"
	                    " AND waba_id = $2",
	                    STORE_ARGS(SV_INT(id), SV_TEXT(waba_id), SV_INT(now + SYNC_EVERY_MS)));
	if (rc == 0)
		rc = error_set(e, ERR_CONFLICT,
		               "the channel's WhatsApp Business Account changed during the sync");
	else if (rc > 0)
		rc = template_forget(tx, id);
	size_t i;
	const json_t *t;
	json_array_foreach(all, i, t)
	{
		if (rc < 0)
			break;
		char *components = json_dumps(json_object_get(t, "components"), JSON_COMPACT);
		/* A name and language listed twice keep the last one read. */
		rc = store_exec(
		    tx,
		    "INSERT INTO whatsapp_templates (account_id, channel_id, name, language,"
		    " category, status, components, synced_at)"
		    " SELECT account_id, id, $2, $3, $4, $5, $6, $7 FROM channels WHERE id = $1"
		    " ON CONFLICT (channel_id, name, language) DO UPDATE SET category = $4,"
		    " status = $5, components = $6",
		    STORE_ARGS(SV_INT(id), SV_TEXT(jstr_or(t, "name")),
		               SV_TEXT(jstr_or(t, "language")), SV_TEXT(jstr_or(t, "category")),
		               SV_TEXT(jstr_or(t, "status")), SV_TEXT(components), SV_INT(now)));
		free(components);
	}
	if (rc >= 0)
		return store_failed(e, store_commit(tx));
	store_rollback(tx);
	return rc == ERR_CONFLICT ? rc : store_failed(e, rc);
}

int template_sync(struct store *st, const struct seal *seal, const struct config *config,
                  int64_t account_id, int64_t channel_id, int64_t now, size_t *count,
                  struct error *e)
{
	struct sync_target t = { 0 };
	json_t *all = NULL;
	int rc = read_target(st, seal, account_id, channel_id, &t, e);
	if (rc == 0)
		rc = read_pages(config, &t, &all, e);
	channel_secrets_clear(&(struct channel_secrets){ .access_token = t.token });
	if (rc == 0)
		rc = store_templates(st, channel_id, t.waba_id, all, now, e);
	if (rc == 0 && count != NULL)
		*count = json_array_size(all);
	json_decref(all);
	return rc;
}

/* ---- The daily sync, run by the scheduler ---- */

int template_sync_next_due(struct store_tx *tx, int64_t *due, struct error *e)
{
	int rc = store_get_int(tx,
	                       "SELECT coalesce(min(templates_due_at), 0) FROM channels"
	                       " WHERE templates_due_at IS NOT NULL AND is_active = 1"
	                       " AND kind = 'whatsapp'",
	                       NULL, 0, due);
	return store_failed(e, rc);
}

/* Takes the due channels: their due time moves to the retry time first, so that another
 * server (or a failure here) does not sync them again at once. The outer condition is what
 * PostgreSQL checks again on a row another server moved meanwhile (READ COMMITTED does not
 * run the subquery again), so two servers never take one channel. */
static int claim_due(struct store *st, int64_t now, int64_t *ids, size_t *n, struct error *e)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	if (tx == NULL)
		return error_set(e, ERR_UNAVAILABLE, "the database is not available");
	struct store_rows *r;
	*n = 0;
	int rc = store_query(
	    tx,
	    "UPDATE channels SET templates_due_at = $2 WHERE templates_due_at <= $1"
	    " AND id IN (SELECT id FROM channels WHERE templates_due_at <= $1"
	    " AND is_active = 1 AND kind = 'whatsapp' ORDER BY templates_due_at LIMIT $3)"
	    " RETURNING id",
	    STORE_ARGS(SV_INT(now), SV_INT(now + SYNC_RETRY_MS), SV_INT(SYNC_ROUND_MAX)), &r);
	while (rc >= 0 && (rc = store_next(r)) == 1)
		ids[(*n)++] = store_int(r, 0);
	if (rc >= 0)
		store_rows_free(r);
	if (rc >= 0)
		return store_failed(e, store_commit(tx));
	store_rollback(tx);
	return store_failed(e, rc);
}

static void note_failure(struct store *st, int64_t id, const char *why, int64_t now)
{
	struct store_tx *tx = store_begin(st, STORE_WRITE);
	char line[300];
	snprintf(line, sizeof(line), "template sync: %s", why);
	if (tx != NULL && channel_note_error(tx, id, line, now) == 0)
		store_commit(tx);
	else
		store_rollback(tx);
}

int template_sync_due(struct scheduler *sched, void *ctx, int64_t now, struct error *e)
{
	(void)sched; /* a round is at most SYNC_ROUND_MAX syncs: it ends by itself */
	const struct template_syncer *s = ctx;
	int64_t ids[SYNC_ROUND_MAX];
	size_t n = 0;
	int rc = claim_due(s->st, now, ids, &n, e);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct error why;
		size_t count = 0;
		if (template_sync(s->st, s->seal, s->config, 0, ids[i], now, &count, &why) == 0) {
			log_info("templates: channel %lld: %zu synced", (long long)ids[i], count);
			continue;
		}
		log_warn("templates: channel %lld: %s", (long long)ids[i], why.message);
		note_failure(s->st, ids[i], why.message, now);
	}
	return rc;
}

/* ---- Reading them ---- */

static json_t *template_row_json(struct store_rows *r)
{
	json_t *components = json_loads(store_text(r, 4), 0, NULL);
	if (components == NULL)
		components = json_array();
	json_t *out = json_pack(
	    "{s:s,s:s,s:s,s:s,s:o,s:b,s:I}", "name", store_text(r, 0), "language", store_text(r, 1),
	    "category", store_text(r, 2), "status", store_text(r, 3), "variables",
	    whatsapp_template_variables(components), "usable",
	    strcmp(store_text(r, 3), "APPROVED") == 0, "synced_at", (json_int_t)store_int(r, 5));
	json_object_set_new(out, "components", components);
	return out;
}

int template_list(struct store_tx *tx, int64_t account_id, int64_t channel_id, json_t **out,
                  struct error *e)
{
	struct channel c;
	int rc = channel_get(tx, account_id, channel_id, &c, e);
	if (rc < 0)
		return rc;
	struct store_rows *r;
	rc = store_query(tx,
	                 "SELECT name, language, category, status, components, synced_at"
	                 " FROM whatsapp_templates WHERE channel_id = $1 ORDER BY name, language",
	                 STORE_ARGS(SV_INT(channel_id)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	json_t *list = json_array();
	while ((rc = store_next(r)) == 1)
		json_array_append_new(list, template_row_json(r));
	store_rows_free(r);
	if (rc < 0) {
		json_decref(list);
		return store_failed(e, rc);
	}
	*out = list;
	return 0;
}

/* The languages name is synced in, as "es, en_US", for an error message. */
static void languages_of(struct store_tx *tx, int64_t channel_id, const char *name, char *out,
                         size_t size)
{
	struct store_rows *r;
	size_t len = 0;
	out[0] = '\0';
	if (store_query(tx,
	                "SELECT language FROM whatsapp_templates WHERE channel_id = $1"
	                " AND name = $2 ORDER BY language",
	                STORE_ARGS(SV_INT(channel_id), SV_TEXT(name)), &r) < 0)
		return;
	while (store_next(r) == 1 && len + 1 < size)
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "",
		                        store_text(r, 0));
	store_rows_free(r);
}

int template_prepare(struct store_tx *tx, int64_t channel_id, const char *name,
                     const char *language, const json_t *parameters, json_t **send, char **rendered,
                     struct error *e)
{
	struct store_rows *r;
	*send = NULL;
	int rc = store_query(tx,
	                     "SELECT status, components FROM whatsapp_templates"
	                     " WHERE channel_id = $1 AND name = $2 AND language = $3",
	                     STORE_ARGS(SV_INT(channel_id), SV_TEXT(name), SV_TEXT(language)), &r);
	if (rc < 0)
		return store_failed(e, rc);
	char status[65] = "";
	json_t *components = NULL;
	if ((rc = store_next(r)) == 1) {
		snprintf(status, sizeof(status), "%s", store_text(r, 0));
		components = json_loads(store_text(r, 1), 0, NULL);
	}
	store_rows_free(r);
	if (rc < 0)
		return store_failed(e, rc);
	if (rc == 0) {
		char languages[200];
		languages_of(tx, channel_id, name, languages, sizeof(languages));
		return languages[0]
		           ? error_set(e, ERR_UNPROCESSABLE,
		                       "template '%s' has no '%s' version (synced: %s)", name,
		                       language, languages)
		           : error_set(e, ERR_UNPROCESSABLE,
		                       "template '%s' is not synced for this channel", name);
	}
	rc = 0;
	if (strcmp(status, "APPROVED") != 0)
		rc = error_set(e, ERR_UNPROCESSABLE, "template '%s' (%s) is %s, not APPROVED", name,
		               language, status);
	json_t *cloud = NULL;
	if (rc == 0)
		rc = whatsapp_template_build(name, language, components, parameters, &cloud,
		                             rendered, e);
	json_decref(components);
	if (rc == 0)
		*send = json_pack("{s:o}", "template", cloud);
	return rc;
}
