/* SPDX-License-Identifier: MIT */
/* The apps the caller authorized: GET /v1/users/me/authorizations lists
 * one entry per app and space holding a live grant; DELETE
 * /v1/users/me/authorizations/{app_id}[?space=ID] revokes every token of
 * that grant at once. Like the caller's PATs, they need manage_tokens. */
#include "api/api.h"
#include "util/mem.h"
#include "util/time.h"

static cJSON *render_grant(const struct auth_grant *g)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "app_id", (double)g->app_id);
	cJSON_AddStringToObject(o, "app_name", g->app_name);
	cJSON_AddStringToObject(o, "client_id", g->client_id);
	if (g->space_id)
		cJSON_AddNumberToObject(o, "space_id", (double)g->space_id);
	else
		cJSON_AddNullToObject(o, "space_id");
	cJSON_AddStringToObject(o, "space_name", g->space_name);
	cJSON_AddItemToObject(o, "scopes", render_scopes(g->scopes));
	render_time(o, "first_authorized_at", g->first_at);
	render_time(o, "last_used_at", g->last_used_at);
	cJSON_AddNumberToObject(o, "live_tokens", (double)g->live_tokens);
	return o;
}

void api_authorizations(struct http_req *req)
{
	struct auth_grant *grants = NULL;
	size_t n = 0;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	enum jt_status st =
		auth_grants_of_user(jeton_of(req)->store, p->user.id, time_now(), &grants, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "authorization");
	} else {
		cJSON *o = cJSON_CreateObject();
		cJSON *items = cJSON_AddArrayToObject(o, "items");
		for (size_t i = 0; items && i < n; i++)
			cJSON_AddItemToArray(items, render_grant(&grants[i]));
		http_reply_json(req, 200, o);
	}
	jt_free(grants);
	auth_release(p);
}

void api_authorization_item(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	int64_t app_id, space_id = 0, revoked = 0;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	const char *space = http_query(req, "space");
	if (input_id(req, 0, &app_id) && (!space || input_id_text(req, space, &space_id))) {
		enum jt_status st = store_oauth_revoke_grant(jt->store, p->user.id, app_id,
							     space_id, time_now(), &revoked);
		if (st == JT_ENOTFOUND) {
			http_reply_fail(req, st, "You have authorized no such app%s.",
					space ? " in that space" : "");
		} else if (st != JT_OK) {
			http_reply_status(req, st, "authorization");
		} else {
			auth_invalidate(jt->auth);
			api_audit(req, p, "authorization.revoked", true,
				  "app %lld space %lld (%lld tokens)", (long long)app_id,
				  (long long)space_id, (long long)revoked);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "revoked_tokens", (double)revoked);
			http_reply_json(req, 200, o);
		}
	}
	auth_release(p);
}
