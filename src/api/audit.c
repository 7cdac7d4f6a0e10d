/* SPDX-License-Identifier: MIT */
/* The audit log through the API: the events of API calls, and GET
 * /v1/audit for instance admins (scope manage_users), filtered by actor,
 * action (a name or a prefix such as "token") and time. */
#include "api/api.h"
#include "audit/audit.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void api_audit(struct http_req *req, const struct principal *p, const char *action, bool success,
	       const char *target_fmt, ...)
{
	char target[LIMIT_NAME_BYTES + 64];
	va_list ap;
	va_start(ap, target_fmt);
	vsnprintf(target, sizeof target, target_fmt, ap);
	va_end(ap);
	const char *actor = !p ? "" : p->user.id ? p->user.email : p->client_id;
	audit_record(jeton_of(req)->store, p ? p->user.id : 0, actor, action, req->client_ip,
		     success, "%s", target);
}

/* Reads an optional RFC 3339 query parameter into *out. */
static bool query_time(struct http_req *req, const char *name, int64_t *out)
{
	const char *v = http_query(req, name);
	if (!v || !*v)
		return true;
	if (time_parse(v, strlen(v), out) != JT_OK) {
		http_reply_fail(req, JT_EINVAL,
				"\"%s\" must be an RFC 3339 time such as 2026-11-23T00:00:00Z.",
				name);
		return false;
	}
	return true;
}

bool api_audit_filter(struct http_req *req, struct audit_filter *f)
{
	const char *actor = http_query(req, "actor");
	const char *action = http_query(req, "action");
	memset(f, 0, sizeof *f);
	if ((actor && strlen(actor) >= sizeof f->actor) ||
	    (action && strlen(action) >= sizeof f->action)) {
		http_reply_fail(req, JT_EINVAL, "\"actor\" or \"action\" is too long.");
		return false;
	}
	snprintf(f->actor, sizeof f->actor, "%s", actor ? actor : "");
	snprintf(f->action, sizeof f->action, "%s", action ? action : "");
	return query_time(req, "since", &f->since) && query_time(req, "until", &f->until);
}

void api_audit_list(struct http_req *req)
{
	struct audit_filter f;
	struct store_page page;
	struct audit_event *items = NULL;
	size_t n = 0;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (api_audit_filter(req, &f) && input_page(req, &page)) {
		enum jt_status st = store_audit_list(jeton_of(req)->store, &f, &page, &items, &n);
		if (st != JT_OK) {
			http_reply_status(req, st, "audit log");
		} else {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; arr && i < n; i++)
				cJSON_AddItemToArray(arr, render_audit(&items[i]));
			http_reply_json(req, 200,
					render_page(arr, &page, n, n ? items[n - 1].id : 0));
		}
	}
	store_list_free(items);
	auth_release(p);
}
