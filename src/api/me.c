/* SPDX-License-Identifier: MIT */
/* The caller and the service: GET /v1/ping, GET /healthz, GET /v1/me. */
#include "api/api.h"

#include <string.h>

#ifndef JETON_VERSION
#define JETON_VERSION "dev"
#endif

void api_ping(struct http_req *req)
{
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddStringToObject(o, "service", "jeton");
		cJSON_AddStringToObject(o, "version", JETON_VERSION);
	}
	http_reply_json(req, 200, o);
}

/* Anything but 200 tells a load balancer to send what it can elsewhere
 * (docs/deploy.md says what each answer means). */
void api_healthz(struct http_req *req)
{
	static const struct {
		int http;
		const char *status;
		const char *reason; /* NULL: none */
	} answers[] = {
		[STORE_HEALTHY] = {200, "ok", NULL},
		[STORE_DISK_FULL] = {503, "degraded", "disk full"},
		[STORE_NOT_WRITABLE] = {503, "degraded", "store not writable"},
		[STORE_UNAVAILABLE] = {503, "unavailable", "store unavailable"},
	};
	enum store_health h = store_health(jeton_of(req)->store);
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "status", answers[h].status);
		if (answers[h].reason)
			cJSON_AddStringToObject(o, "reason", answers[h].reason);
	}
	http_reply_json(req, answers[h].http, o);
}

/* The body of GET /v1/me, which depends on the token alone. */
static cJSON *me_body(const struct principal *p)
{
	cJSON *o = cJSON_CreateObject();
	if (p->user.id) {
		cJSON *user = cJSON_AddObjectToObject(o, "user");
		cJSON_AddNumberToObject(user, "id", (double)p->user.id);
		cJSON_AddStringToObject(user, "email", p->user.email);
		cJSON_AddStringToObject(user, "friendly_name", p->user.friendly_name);
		cJSON_AddBoolToObject(user, "admin", p->user.admin);
	} else {
		cJSON_AddNullToObject(o, "user");
	}
	if (p->app_id) {
		cJSON *app = cJSON_AddObjectToObject(o, "app");
		cJSON_AddStringToObject(app, "client_id", p->client_id);
		cJSON_AddStringToObject(app, "name", p->app_name);
	}
	cJSON *token = cJSON_AddObjectToObject(o, "token");
	cJSON_AddItemToObject(o, "scopes", render_scopes(auth_rights(p)));
	cJSON *spaces = cJSON_AddArrayToObject(o, "spaces");
	if (!token || !spaces) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(token, "kind", token_kind_name(p->kind));
	cJSON_AddNumberToObject(token, "id", (double)p->token_id);
	if (p->kind == TOKEN_PAT)
		cJSON_AddStringToObject(token, "name", p->token_name);
	if (p->space_id)
		cJSON_AddNumberToObject(token, "space_id", (double)p->space_id);
	cJSON_AddItemToObject(token, "scopes", render_scopes(p->token_scopes));
	render_time(token, "expires_at", p->expires_at);
	for (size_t i = 0; i < p->nspaces; i++) {
		cJSON *s = cJSON_CreateObject();
		if (!s)
			break;
		cJSON_AddNumberToObject(s, "id", (double)p->spaces[i].id);
		cJSON_AddStringToObject(s, "name", p->spaces[i].name);
		cJSON_AddStringToObject(s, "role", p->spaces[i].role);
		cJSON_AddItemToObject(s, "permissions",
				      render_scopes(p->token_scopes & p->spaces[i].permissions));
		cJSON_AddItemToArray(spaces, s);
	}
	return o;
}

/* Rendered once per verification-cache entry: a token's requests share
 * the text until the entry is reloaded (LIMIT_CACHE_TTL_MS, or at once
 * after a change through this node). */
void api_me(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, 0);
	if (!p)
		return;
	struct http_prepared *r = auth_rendered_get(p, AUTH_RENDER_ME);
	if (r) {
		http_reply_prepared(req, r);
	} else {
		http_reply_json(req, 200, me_body(p));
		if (req->status == 200 && (r = http_prepare(req)))
			auth_rendered_keep(p, AUTH_RENDER_ME, r, http_prepared_free);
	}
	auth_release(p);
}
