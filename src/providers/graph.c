/*
 * Graph API answers to a send (WhatsApp, Messenger and Instagram): the message id of an
 * accepted send, and the table of error codes that says which failures are worth another
 * try and what to tell the agent. No I/O here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "providers/internal.h"

/* How a Graph API error code (and, when not 0, subcode) is handled; {} names the provider. */
struct graph_rule {
	long code;
	long subcode;
	enum send_outcome outcome;
	int retry_after_s;
	const char *reason;
};

static const struct graph_rule graph_rules[] = {
	{ 1, 0, SEND_TRANSIENT, 0, "{} had an unexpected problem; sending again later." },
	{ 2, 0, SEND_TRANSIENT, 0, "{} is temporarily unavailable; sending again later." },
	{ 4, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this app may call it; sending again later." },
	{ 17, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this account may call it; sending again later." },
	{ 32, 0, SEND_TRANSIENT, 0,
	  "{} limits how often this page may call it; sending again later." },
	{ 613, 0, SEND_TRANSIENT, 0, "{} rate limit reached; sending again later." },
	{ 1200, 0, SEND_TRANSIENT, 0, "{} had a temporary send failure; sending again later." },
	{ 80007, 0, SEND_TRANSIENT, 0,
	  "{} rate limit reached for this business account; sending again later." },
	{ 130429, 0, SEND_TRANSIENT, 0,
	  "{} throughput limit reached for this number; sending again later." },
	{ 131000, 0, SEND_TRANSIENT, 0, "{} had an unexpected problem; sending again later." },
	{ 131016, 0, SEND_TRANSIENT, 0, "{} is temporarily unavailable; sending again later." },
	{ 131048, 0, SEND_TRANSIENT, 0,
	  "{} limits this number after messages were flagged as spam; sending again later." },
	{ 131056, 0, SEND_TRANSIENT, 6,
	  "Too many messages to this customer in a short time; sending again shortly." },
	{ 190, 0, SEND_PERMANENT, 0,
	  "The channel's {} access token is invalid or has expired: reconnect the channel." },
	{ 10, 2018278, SEND_PERMANENT, 0,
	  "The customer last wrote more than 24 hours ago, so {} no longer accepts a reply." },
	{ 10, 0, SEND_PERMANENT, 0, "The channel lacks the {} permission to send this message." },
	{ 100, 2018001, SEND_PERMANENT, 0, "{} knows no user with this id." },
	{ 551, 0, SEND_PERMANENT, 0,
	  "The customer cannot be reached on {} right now (blocked or unavailable)." },
	{ 131026, 0, SEND_PERMANENT, 0, "{} could not deliver to this number." },
	{ 131047, 0, SEND_PERMANENT, 0,
	  "The customer last wrote more than 24 hours ago, so {} only accepts a template message now." },
	{ 131051, 0, SEND_PERMANENT, 0, "{} does not support this type of message." },
	{ 131031, 0, SEND_PERMANENT, 0, "The {} business account is locked." },
	{ 368, 0, SEND_PERMANENT, 0,
	  "The {} account is temporarily blocked for policy violations." },
};

static const struct graph_rule *graph_rule_find(long code, long subcode)
{
	for (size_t i = 0; i < sizeof(graph_rules) / sizeof(graph_rules[0]); i++)
		if (graph_rules[i].code == code &&
		    (graph_rules[i].subcode == 0 || graph_rules[i].subcode == subcode))
			return &graph_rules[i];
	return NULL;
}

static void graph_accepted(enum channel_kind kind, const json_t *root, struct send_result *out)
{
	const json_t *id;

	if (kind == CHANNEL_WHATSAPP)
		id = json_object_get(json_array_get(jarr(root, "messages"), 0), "id");
	else
		id = json_object_get(root, "message_id");
	out->outcome = SEND_ACCEPTED;
	char *copy = field_id(id);
	if (copy != NULL)
		snprintf(out->message_id, sizeof(out->message_id), "%s", copy);
	free(copy);
}

void graph_classify(enum channel_kind kind, long http_status, const json_t *root,
                    struct send_result *out)
{
	const char *name = channel_kind_label(kind);
	const json_t *error = jobj(root, "error");
	json_int_t code = 0, subcode = 0;
	char quoted[160];

	if (http_status >= 200 && http_status < 300 && error == NULL) {
		graph_accepted(kind, root, out);
		return;
	}
	jint(error, "code", &code);
	jint(error, "error_subcode", &subcode);
	out->code = (long)code;
	out->subcode = (long)subcode;
	out->outcome = http_is_transient(http_status) ? SEND_TRANSIENT : SEND_PERMANENT;
	if (code >= 200 && code <= 299) {
		out->outcome = SEND_PERMANENT;
		send_reason(out,
		            "The channel lacks the %s permission to send messages (error %ld).",
		            name, out->code);
		return;
	}
	const struct graph_rule *rule = graph_rule_find(out->code, out->subcode);
	if (rule != NULL) {
		out->outcome = rule->outcome;
		out->retry_after_s = rule->retry_after_s;
		send_reason_named(out, rule->reason, name);
		return;
	}
	reason_quote(quoted, sizeof(quoted), jstr(error, "message"));
	if (http_status == 0)
		send_reason(out, "No answer from %s; sending again later.", name);
	else if (error == NULL && out->outcome == SEND_TRANSIENT)
		send_reason(out, "%s answered HTTP %ld; sending again later.", name, http_status);
	else if (error == NULL)
		send_reason(out, "%s refused the message (HTTP %ld).", name, http_status);
	else if (out->outcome == SEND_TRANSIENT)
		send_reason(out, "%s failed (error %ld: %s); sending again later.", name, out->code,
		            quoted);
	else
		send_reason(out, "%s refused the message (error %ld: %s).", name, out->code,
		            quoted);
}
