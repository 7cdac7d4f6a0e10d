/* SPDX-License-Identifier: MIT */
/* All tokens, for instance admins: every token of every kind with the
 * inventory's filters (a GET form), a page at a time, and a bulk revoke
 * of what the filter matches: the first POST counts (a dry run) and asks
 * to confirm, the second revokes, audited as one event. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define INVENTORY_PAGE 50
#define FILTER_BYTES   (LIMIT_EMAIL_BYTES + 1)

/* The filter's values, from the query (GET) or the form (POST). */
struct filter_text {
	char v[INV_KEYS][FILTER_BYTES];
	const char *values[INV_KEYS];
};

static void read_text(struct http_req *req, struct filter_text *t)
{
	for (int k = 0; k < INV_KEYS; k++) {
		const char *q =
			req->method == HTTP_POST ? NULL : http_query(req, inventory_keys[k]);
		if (req->method == HTTP_POST)
			http_form_field(req, inventory_keys[k], t->v[k], sizeof t->v[k]);
		else
			snprintf(t->v[k], sizeof t->v[k], "%s", q ? q : "");
		t->values[k] = t->v[k];
	}
}

/* The filter's fields for the templates: "filter" (each value by key, and
 * a selected flag for the kind and status choices) and "hidden" (name,
 * value pairs for the bulk revoke's forms). */
static void add_filter(cJSON *d, const struct filter_text *t)
{
	cJSON *filter = cJSON_AddObjectToObject(d, "filter");
	cJSON *hidden = cJSON_AddArrayToObject(d, "hidden");
	for (int k = 0; k < INV_KEYS; k++) {
		cJSON_AddStringToObject(filter, inventory_keys[k], t->v[k]);
		if (!t->v[k][0])
			continue;
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "name", inventory_keys[k]);
		cJSON_AddStringToObject(h, "value", t->v[k]);
		cJSON_AddItemToArray(hidden, h);
	}
	static const char *const choices[] = {"pat",    "access",  "refresh", "client",
					      "active", "expired", "revoked", "rotated"};
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
		char key[24];
		snprintf(key, sizeof key, "is_%s", choices[i]);
		cJSON_AddBoolToObject(filter, key,
				      strcmp(t->v[i < 4 ? INV_KIND : INV_STATUS], choices[i]) == 0);
	}
}

static cJSON *row(const struct inventory_item *t, const struct policy *pol, int64_t now)
{
	char ref[32];
	cJSON *r = cJSON_CreateObject();
	snprintf(ref, sizeof ref, "%s:%lld", t->kind, (long long)t->id);
	cJSON_AddStringToObject(r, "ref", ref);
	cJSON_AddStringToObject(r, "kind", t->kind);
	cJSON_AddStringToObject(r, "user", t->email[0] ? t->email : "—");
	cJSON_AddStringToObject(r, "what", t->app_id ? t->app_name : t->name);
	cJSON_AddStringToObject(r, "scopes", t->scopes);
	console_add_time(r, "created", t->created_at, "");
	console_add_time(r, "expires", t->expires_at, "Never");
	console_add_time(r, "last_used", t->last_used_at, "Never used");
	cJSON_AddStringToObject(r, "last_used_ip", t->last_used_ip);
	cJSON_AddStringToObject(r, "status", inventory_status(t, now));
	cJSON_AddStringToObject(r, "reason", t->revoked_reason);
	cJSON_AddBoolToObject(
		r, "exceeds_policy",
		strcmp(t->kind, "pat") == 0 &&
			authority_pat_breaks_policy(pol, t->created_at, t->expires_at));
	return r;
}

static void inventory_page(struct http_req *req, const struct page_ctx *c, const char *notice)
{
	struct jeton *jt = jeton_of(req);
	struct filter_text t;
	struct inventory_filter f;
	struct inventory_cursor after = {0};
	struct inventory_item *items = NULL;
	struct policy pol = {0};
	size_t n = 0;
	int64_t now = time_now();
	int given;
	char err[160] = "", url[LIMIT_URL_BYTES + 1];

	read_text(req, &t);
	const char *before = http_query(req, "before");
	enum jt_status st =
		inventory_filter_read(jt->store, t.values, now, &f, &given, err, sizeof err);
	if (st == JT_OK && before && !inventory_cursor_parse(before, &after))
		st = JT_EINVAL;
	if (st == JT_OK)
		st = store_policy_get(jt->store, &pol);
	if (st == JT_OK)
		st = store_inventory_list(jt->store, &f, &after, INVENTORY_PAGE, &items, &n);
	if (st != JT_OK && st != JT_EINVAL) {
		page_fail(req, st, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	add_filter(d, &t);
	cJSON *rows = cJSON_AddArrayToObject(d, "tokens");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(rows, row(&items[i], &pol, now));
	cJSON_AddBoolToObject(d, "has_tokens", n > 0);
	cJSON_AddBoolToObject(d, "filtered", given > 0);
	if (n == INVENTORY_PAGE) {
		char cursor[64];
		bool fits = true;
		inventory_cursor_format(&items[n - 1], cursor, sizeof cursor);
		snprintf(url, sizeof url, "/console/all-tokens");
		for (int k = 0; fits && k < INV_KEYS; k++)
			if (t.v[k][0])
				fits = http_url_add(url, sizeof url, inventory_keys[k], t.v[k]);
		if (fits && http_url_add(url, sizeof url, "before", cursor))
			cJSON_AddStringToObject(d, "older", url);
	}
	store_list_free(items);
	if (st == JT_EINVAL)
		cJSON_AddStringToObject(d, "error", err[0] ? err : "That page does not exist.");
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	page_render(req, st == JT_EINVAL ? JT_EINVAL : JT_OK, "All tokens", "all_tokens",
		    "all_tokens.html", d, c);
}

void console_inventory(struct http_req *req)
{
	struct page_ctx c;
	char notice[64];
	if (!console_begin(req, true, &c))
		return;
	const char *done = http_query(req, "revoked");
	int64_t count;
	if (done && text_parse_i64(done, strlen(done), 0, INT64_MAX, &count) == JT_OK) {
		snprintf(notice, sizeof notice, "%lld token%s revoked.", (long long)count,
			 count == 1 ? " was" : "s were");
		inventory_page(req, &c, notice);
		return;
	}
	inventory_page(req, &c, NULL);
}

/* POST /console/all-tokens/revoke: without confirm=1 a dry run that asks to
 * confirm with the count; with it, the revocation. */
void console_inventory_revoke(struct http_req *req)
{
	struct page_ctx c;
	struct jeton *jt = jeton_of(req);
	struct filter_text t;
	struct inventory_filter f;
	char err[160], confirm[4], described[512], url[64];
	int64_t count = 0;
	int given;
	if (!console_begin(req, true, &c))
		return;
	read_text(req, &t);
	http_form_field(req, "confirm", confirm, sizeof confirm);
	enum jt_status st =
		inventory_filter_read(jt->store, t.values, time_now(), &f, &given, err, sizeof err);
	if (st == JT_OK && !given) {
		snprintf(err, sizeof err, "Filter the tokens first: a bulk revoke needs a filter.");
		st = JT_EINVAL;
	}
	if (st != JT_OK) {
		page_fail(req, st, st == JT_EINVAL ? err : NULL, &c);
		return;
	}
	bool dry_run = strcmp(confirm, "1") != 0;
	st = store_inventory_revoke(jt->store, &f, dry_run, "bulk", &count);
	if (st != JT_OK) {
		page_fail(req, st, "The tokens could not be revoked.", &c);
		return;
	}
	inventory_filter_describe(t.values, described, sizeof described);
	if (dry_run) {
		cJSON *d = cJSON_CreateObject();
		add_filter(d, &t);
		cJSON_AddNumberToObject(d, "count", (double)count);
		cJSON_AddBoolToObject(d, "none", count == 0);
		cJSON_AddStringToObject(d, "described", described);
		page_render(req, JT_OK, "Revoke tokens?", "all_tokens", "all_tokens_confirm.html",
			    d, &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "token.bulk_revoked", req->client_ip, true,
		     "%lld tokens (%s)", (long long)count, described);
	snprintf(url, sizeof url, "/console/all-tokens?revoked=%lld", (long long)count);
	http_redirect(req, 303, url);
}
