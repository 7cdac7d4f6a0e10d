/* SPDX-License-Identifier: MIT */
/* Authorized apps: the apps that hold a live grant from the signed-in
 * user, by space, each with a Revoke button that revokes every token of
 * that grant at once. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static void authorizations_page(struct http_req *req, const struct page_ctx *c, const char *notice)
{
	struct auth_grant *grants = NULL;
	size_t n = 0;
	char names[LIMIT_SCOPES_BYTES + 1];

	enum jt_status st =
		auth_grants_of_user(jeton_of(req)->store, c->user.id, time_now(), &grants, &n);
	if (st != JT_OK) {
		page_fail(req, st, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *rows = cJSON_AddArrayToObject(d, "grants");
	for (size_t i = 0; i < n; i++) {
		const struct auth_grant *g = &grants[i];
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "app_id", (double)g->app_id);
		cJSON_AddStringToObject(r, "app_name", g->app_name);
		cJSON_AddStringToObject(r, "client_id", g->client_id);
		cJSON_AddNumberToObject(r, "space_id", (double)g->space_id);
		cJSON_AddStringToObject(r, "space_name", g->space_name[0] ? g->space_name : "—");
		scope_format(g->scopes, names, sizeof names);
		cJSON_AddStringToObject(r, "scopes", names);
		console_add_time(r, "first", g->first_at, "");
		console_add_time(r, "last_used", g->last_used_at, "Never used");
		cJSON_AddNumberToObject(r, "live_tokens", (double)g->live_tokens);
		cJSON_AddItemToArray(rows, r);
	}
	jt_free(grants);
	cJSON_AddBoolToObject(d, "has_grants", n > 0);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	page_render(req, JT_OK, "Authorized apps", "authorizations", "authorizations.html", d, c);
}

void console_authorizations(struct http_req *req)
{
	struct page_ctx c;
	if (!console_begin(req, false, &c))
		return;
	const char *done = http_query(req, "done");
	authorizations_page(req, &c,
			    done && strcmp(done, "revoked") == 0
				    ? "The app's access was revoked: its tokens no longer work."
				    : NULL);
}

/* POST /console/authorizations/{app_id}/{space_id}/revoke (space 0: none). */
void console_authorization_revoke(struct http_req *req)
{
	struct page_ctx c;
	int64_t app_id, space_id, revoked = 0;
	if (!console_begin(req, false, &c))
		return;
	const char *a = req->params[0], *s = req->params[1];
	if (text_parse_i64(a, strlen(a), 1, INT64_MAX, &app_id) != JT_OK ||
	    text_parse_i64(s, strlen(s), 0, INT64_MAX, &space_id) != JT_OK) {
		page_fail(req, JT_ENOTFOUND, "You have authorized no such app.", &c);
		return;
	}
	struct jeton *jt = jeton_of(req);
	enum jt_status st = store_oauth_revoke_grant(jt->store, c.user.id, app_id, space_id,
						     time_now(), &revoked);
	if (st != JT_OK) {
		page_fail(req, st,
			  st == JT_ENOTFOUND ? "You have authorized no such app."
					     : "The app's access could not be revoked.",
			  &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "authorization.revoked", req->client_ip,
		     true, "app %lld space %lld (%lld tokens)", (long long)app_id,
		     (long long)space_id, (long long)revoked);
	http_redirect(req, 303, "/console/authorizations?done=revoked");
}
