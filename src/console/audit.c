/* SPDX-License-Identifier: MIT */
/* The audit log (instance admins), filtered by actor, action and dates. */
#include "console/console.h"
#include "render/render.h"
#include "server/server.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define AUDIT_PAGE 50

static const char *const actions[] = {
	"token",
	"token.created",
	"token.rotated",
	"token.revoked",
	"login",
	"login.succeeded",
	"login.failed",
	"password.changed",
	"consent.allowed",
	"consent.denied",
	"app",
	"app.created",
	"app.updated",
	"app.deleted",
	"app.secret_rotated",
	"user.created",
	"user.updated",
	"space.created",
	"member.put",
	"member.removed",
};

/* Copies a query parameter (at most out_len - 1 bytes) or "". */
static void query(struct http_req *req, const char *name, char *out, size_t out_len)
{
	const char *v = http_query(req, name);
	snprintf(out, out_len, "%s", v && strlen(v) < out_len ? v : "");
}

static bool date_of(const char *day, int64_t *out)
{
	char full[32];
	if (!day[0])
		return true;
	snprintf(full, sizeof full, "%.10sT00:00:00Z", day);
	return strlen(day) == 10 && time_parse(full, strlen(full), out) == JT_OK;
}

void console_audit(struct http_req *req)
{
	struct page_ctx c;
	struct audit_filter f = {0};
	char since[16], until[16], before[24], url[LIMIT_URL_BYTES + 1];
	struct audit_event *items = NULL;
	size_t n = 0;
	int64_t b = 0;
	enum jt_status st = JT_OK;
	const char *error = NULL;
	if (!console_begin(req, true, &c))
		return;
	query(req, "actor", f.actor, sizeof f.actor);
	query(req, "action", f.action, sizeof f.action);
	query(req, "since", since, sizeof since);
	query(req, "until", until, sizeof until);
	query(req, "before", before, sizeof before);
	if (!date_of(since, &f.since) || !date_of(until, &f.until)) {
		st = JT_EINVAL;
		error = "Dates must be YYYY-MM-DD.";
	}
	if (f.until)
		f.until += 86400; /* "until" a day includes that day */
	if (before[0] && text_parse_i64(before, strlen(before), 1, INT64_MAX, &b) != JT_OK)
		b = 0;
	struct store_page page = {.before = b > 0 ? b : 0, .limit = AUDIT_PAGE};
	if (st == JT_OK) {
		st = store_audit_list(jeton_of(req)->store, &f, &page, &items, &n);
		if (st != JT_OK)
			error = "The audit log could not be read.";
	}

	cJSON *d = cJSON_CreateObject();
	cJSON *filter = cJSON_AddObjectToObject(d, "filter");
	cJSON_AddStringToObject(filter, "actor", f.actor);
	cJSON_AddStringToObject(filter, "since", since);
	cJSON_AddStringToObject(filter, "until", until);
	cJSON *acts = cJSON_AddArrayToObject(d, "actions");
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", actions[i]);
		cJSON_AddBoolToObject(o, "selected", strcmp(actions[i], f.action) == 0);
		cJSON_AddItemToArray(acts, o);
	}
	cJSON *rows = cJSON_AddArrayToObject(d, "events");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = render_audit(&items[i]);
		console_add_time(r, "at", items[i].at, "");
		cJSON_AddBoolToObject(r, "success", items[i].success);
		cJSON_AddItemToArray(rows, r);
	}
	cJSON_AddBoolToObject(d, "has_events", n > 0);
	if (n == AUDIT_PAGE) {
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)items[n - 1].id);
		snprintf(url, sizeof url, "/console/audit");
		if (http_url_add(url, sizeof url, "actor", f.actor) &&
		    http_url_add(url, sizeof url, "action", f.action) &&
		    http_url_add(url, sizeof url, "since", since) &&
		    http_url_add(url, sizeof url, "until", until) &&
		    http_url_add(url, sizeof url, "before", id))
			cJSON_AddStringToObject(d, "older", url);
	}
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	store_list_free(items);
	page_render(req, st, "Audit log", "audit", "audit.html", d, &c);
}
