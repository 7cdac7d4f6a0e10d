/* SPDX-License-Identifier: MIT */
/* The admins' inventory of every token (manage_users): GET /v1/tokens
 * lists PATs and OAuth tokens of every user and app, filtered, newest
 * first, a page at a time; POST /v1/tokens/revoke revokes the tokens it
 * names or every token a filter matches (dry_run: only counts them), as
 * one audited event. */
#include "api/api.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define INVENTORY_IDS_MAX 100 /* tokens one revocation may name */

/* Reads the filter of values; a 400 on failure. */
static bool read_filter(struct http_req *req, const char *const values[INV_KEYS], int64_t now,
			struct inventory_filter *f, int *given)
{
	char err[160];
	enum jt_status st =
		inventory_filter_read(jeton_of(req)->store, values, now, f, given, err, sizeof err);
	if (st == JT_EINVAL)
		http_reply_fail(req, st, "%s", err);
	else if (st != JT_OK)
		http_reply_status(req, st, "token");
	return st == JT_OK;
}

static void list(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	const char *values[INV_KEYS];
	struct inventory_filter f;
	struct inventory_cursor after = {0};
	struct inventory_item *items = NULL;
	struct policy pol = {0};
	size_t n = 0;
	int64_t now = time_now(), limit = LIMIT_PAGE_DEFAULT;
	int given;
	char next[64];

	for (int k = 0; k < INV_KEYS; k++)
		values[k] = http_query(req, inventory_keys[k]);
	if (!read_filter(req, values, now, &f, &given))
		return;
	const char *before = http_query(req, "before"), *lim = http_query(req, "limit");
	if (before && !inventory_cursor_parse(before, &after)) {
		http_reply_fail(req, JT_EINVAL,
				"\"before\" must be the \"next_before\" of the previous page.");
		return;
	}
	if (lim && text_parse_i64(lim, strlen(lim), 1, LIMIT_PAGE_MAX, &limit) != JT_OK) {
		http_reply_fail(req, JT_EINVAL, "Query parameter \"limit\" must be 1 to %d.",
				LIMIT_PAGE_MAX);
		return;
	}
	enum jt_status st = store_policy_get(jt->store, &pol);
	if (st == JT_OK)
		st = store_inventory_list(jt->store, &f, &after, (int)limit, &items, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "token");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; arr && i < n; i++) {
		const struct inventory_item *t = &items[i];
		bool breaks = strcmp(t->kind, "pat") == 0 &&
			      authority_pat_breaks_policy(&pol, t->created_at, t->expires_at);
		cJSON_AddItemToArray(arr,
				     render_inventory_item(t, inventory_status(t, now), breaks));
	}
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	if (n == (size_t)limit) {
		inventory_cursor_format(&items[n - 1], next, sizeof next);
		cJSON_AddStringToObject(o, "next_before", next);
	} else {
		cJSON_AddNullToObject(o, "next_before");
	}
	store_list_free(items);
	http_reply_json(req, 200, o);
}

void api_inventory(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	list(req);
	auth_release(p);
}

/* Revokes each token of ids ("pat:12"), counting those it revoked. */
static bool revoke_ids(struct http_req *req, const struct principal *p, const cJSON *ids,
		       int64_t now, bool dry_run, int64_t *count, char *described,
		       size_t described_len)
{
	struct inventory_filter one;
	int64_t revoked;
	int nids = cJSON_GetArraySize(ids);
	if (nids < 1 || nids > INVENTORY_IDS_MAX) {
		http_reply_fail(req, JT_EINVAL, "\"ids\" must list 1 to %d tokens.",
				INVENTORY_IDS_MAX);
		return false;
	}
	for (int i = 0; i < nids; i++) {
		const char *ref = cJSON_GetStringValue(cJSON_GetArrayItem(ids, i));
		memset(&one, 0, sizeof one);
		if (!ref || !inventory_ref_parse(ref, &one)) {
			http_reply_fail(req, JT_EINVAL,
					"\"ids\" must hold token references such as \"pat:12\" or "
					"\"access:40\" (the \"ref\" of GET /v1/tokens).");
			return false;
		}
	}
	for (int i = 0; i < nids; i++) {
		inventory_ref_parse(cJSON_GetStringValue(cJSON_GetArrayItem(ids, i)), &one);
		one.now = now;
		enum jt_status st = store_inventory_revoke(jeton_of(req)->store, &one, dry_run,
							   "bulk", &revoked);
		if (st != JT_OK) {
			/* What was revoked before the failure stays revoked: it is
			 * refused at once and audited. */
			if (*count && !dry_run) {
				auth_invalidate(jeton_of(req)->auth);
				api_audit(req, p, "token.bulk_revoked", false,
					  "%lld tokens (ids=%d), then the store failed",
					  (long long)*count, nids);
			}
			http_reply_status(req, st, "token");
			return false;
		}
		*count += revoked;
	}
	snprintf(described, described_len, "ids=%d", nids);
	return true;
}

static void revoke(struct http_req *req, struct principal *p)
{
	struct jeton *jt = jeton_of(req);
	char texts[INV_KEYS][LIMIT_EMAIL_BYTES + 1], described[512];
	const char *values[INV_KEYS];
	struct inventory_filter f;
	bool dry_run = false, has_dry;
	int64_t now = time_now(), count = 0;
	int given;

	cJSON *body = input_json_object(req);
	if (!body)
		return;
	for (int k = 0; k < INV_KEYS; k++) {
		bool has;
		values[k] = NULL;
		if (!input_string(req, body, inventory_keys[k], texts[k], sizeof texts[k], &has))
			goto out;
		values[k] = has ? texts[k] : NULL;
	}
	if (!input_bool(req, body, "dry_run", &dry_run, &has_dry))
		goto out;
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(body, "ids");
	if (!read_filter(req, values, now, &f, &given))
		goto out;
	if (ids && (!cJSON_IsArray(ids) || given)) {
		http_reply_fail(req, JT_EINVAL,
				"Give either \"ids\" (an array) or filters, not both.");
		goto out;
	}
	if (ids) {
		if (!revoke_ids(req, p, ids, now, dry_run, &count, described, sizeof described))
			goto out;
	} else if (!given) {
		char keys[160];
		size_t used = 0;
		for (int k = 0; k < INV_KEYS && used < sizeof keys; k++) {
			int n = snprintf(keys + used, sizeof keys - used, "%s%s", k ? ", " : "",
					 inventory_keys[k]);
			used += n > 0 ? (size_t)n : 0;
		}
		http_reply_fail(req, JT_EINVAL,
				"Name the tokens: \"ids\", or at least one filter (%s).", keys);
		goto out;
	} else {
		enum jt_status st = store_inventory_revoke(jt->store, &f, dry_run, "bulk", &count);
		if (st != JT_OK) {
			http_reply_status(req, st, "token");
			goto out;
		}
		inventory_filter_describe(values, described, sizeof described);
	}
	if (!dry_run) {
		auth_invalidate(jt->auth);
		api_audit(req, p, "token.bulk_revoked", true, "%lld tokens (%s)", (long long)count,
			  described);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)count);
	cJSON_AddBoolToObject(o, "dry_run", dry_run);
	http_reply_json(req, 200, o);
out:
	cJSON_Delete(body);
}

/* A bulk revocation reaches every user's tokens, admins' too: as any
 * change to an admin's account, it needs an instance admin acting with
 * every admin scope (a personal access token holding them, or the
 * console); a narrower manage_users token may list, not revoke. */
void api_inventory_revoke(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (api_may_touch_admin(req, p, "Revoking tokens in bulk"))
		revoke(req, p);
	auth_release(p);
}
