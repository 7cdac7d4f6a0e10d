/* SPDX-License-Identifier: MIT */
/* JSON renderings of store records. None of them ever includes a secret or
 * a secret's hash. */
#include "render/render.h"
#include "app/app.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

cJSON *render_scopes(uint64_t scopes)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; a && i < SCOPE_COUNT; i++)
		if (scopes & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(scope_name(1u << i)));
	return a;
}

void render_time(cJSON *o, const char *key, int64_t t)
{
	char buf[TIME_RFC3339_BUF];
	if (!t) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	time_format(t, buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void add_text_or_null(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *render_pat(const struct pat *p, int64_t now)
{
	uint64_t scopes = 0;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	scope_parse(p->scopes, strlen(p->scopes), &scopes);
	cJSON_AddNumberToObject(o, "id", (double)p->id);
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "display_prefix", p->display_prefix);
	cJSON_AddItemToObject(o, "scopes", render_scopes(scopes));
	render_time(o, "created_at", p->created_at);
	render_time(o, "expires_at", p->expires_at);
	render_time(o, "last_used_at", p->last_used_at);
	add_text_or_null(o, "last_used_ip", p->last_used_ip);
	render_time(o, "revoked_at", p->revoked_at);
	render_time(o, "rotated_at", p->rotated_at);
	/* rotated: with an overlap; its secret works until expires_at */
	const char *status = p->revoked_at                             ? "revoked"
			     : p->rotated_at                           ? "rotated"
			     : (p->expires_at && p->expires_at <= now) ? "expired"
								       : "active";
	cJSON_AddStringToObject(o, "status", status);
	return o;
}

cJSON *render_user(const struct user *u)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "email", u->email);
	cJSON_AddStringToObject(o, "friendly_name", u->friendly_name);
	cJSON_AddBoolToObject(o, "admin", u->admin);
	cJSON_AddBoolToObject(o, "disabled", u->disabled);
	cJSON_AddBoolToObject(o, "must_change_password", u->password_must_change);
	render_time(o, "created_at", u->created_at);
	return o;
}

cJSON *render_space(const struct space *s)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "name", s->name);
	render_time(o, "created_at", s->created_at);
	if (s->role[0])
		cJSON_AddStringToObject(o, "role", s->role);
	return o;
}

cJSON *render_membership(const struct membership *m)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "user_id", (double)m->user_id);
	cJSON_AddStringToObject(o, "email", m->email);
	cJSON_AddStringToObject(o, "role", m->role);
	return o;
}

cJSON *render_page(cJSON *items, const struct store_page *page, size_t n, int64_t last_id)
{
	cJSON *o = cJSON_CreateObject();
	if (!o) {
		cJSON_Delete(items);
		return NULL;
	}
	cJSON_AddItemToObject(o, "items", items);
	cJSON_AddNumberToObject(o, "limit", page->limit);
	if (n == (size_t)page->limit && last_id)
		cJSON_AddNumberToObject(o, "next_before", (double)last_id);
	else
		cJSON_AddNullToObject(o, "next_before");
	return o;
}

cJSON *render_audit(const struct audit_event *e)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)e->id);
	render_time(o, "at", e->at);
	cJSON_AddStringToObject(o, "actor", e->actor);
	if (e->actor_id)
		cJSON_AddNumberToObject(o, "actor_id", (double)e->actor_id);
	else
		cJSON_AddNullToObject(o, "actor_id");
	cJSON_AddStringToObject(o, "action", e->action);
	cJSON_AddStringToObject(o, "target", e->target);
	cJSON_AddStringToObject(o, "ip", e->ip);
	cJSON_AddStringToObject(o, "outcome", e->success ? "success" : "failure");
	return o;
}

static cJSON *list_of_lines(const char *s)
{
	cJSON *a = cJSON_CreateArray();
	while (a && *s) {
		size_t n = strcspn(s, "\n");
		char line[LIMIT_URI_BYTES + 1];
		snprintf(line, sizeof line, "%.*s", (int)n, s);
		cJSON_AddItemToArray(a, cJSON_CreateString(line));
		s += n;
		if (*s)
			s++;
	}
	return a;
}

cJSON *render_app(const struct app *a)
{
	uint64_t scopes = 0;
	unsigned grants = app_grant_types(a);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "client_id", a->client_id);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "type", a->public_client ? "public" : "confidential");
	cJSON_AddItemToObject(o, "redirect_uris", list_of_lines(a->redirect_uris));
	cJSON *g = cJSON_AddArrayToObject(o, "grants");
	for (unsigned bit = 1; g && bit <= GRANT_ALL; bit <<= 1) {
		char name[32];
		if (!(grants & bit))
			continue;
		grant_type_format(bit, name, sizeof name);
		cJSON_AddItemToArray(g, cJSON_CreateString(name));
	}
	scope_parse(a->scopes, strlen(a->scopes), &scopes);
	cJSON_AddItemToObject(o, "scopes", render_scopes(scopes));
	cJSON_AddNumberToObject(o, "access_ttl", (double)a->access_ttl);
	cJSON_AddNumberToObject(o, "refresh_ttl", (double)a->refresh_ttl);
	cJSON_AddBoolToObject(o, "rotate_refresh", a->rotate_refresh);
	cJSON_AddNumberToObject(o, "refresh_grace", (double)a->refresh_grace);
	cJSON_AddStringToObject(o, "token_format", a->token_format);
	cJSON_AddBoolToObject(o, "allow_pkce_plain", a->allow_pkce_plain);
	cJSON_AddBoolToObject(o, "introspect", a->introspect);
	render_time(o, "created_at", a->created_at);
	return o;
}

cJSON *render_policy(const struct policy *p)
{
	char life[TIME_DURATION_BUF];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (p->pat_max_lifetime) {
		time_format_duration(p->pat_max_lifetime, life);
		cJSON_AddStringToObject(o, "pat_max_lifetime", life);
	} else {
		cJSON_AddNullToObject(o, "pat_max_lifetime");
	}
	cJSON_AddNumberToObject(o, "pat_max_lifetime_seconds", (double)p->pat_max_lifetime);
	cJSON_AddBoolToObject(o, "pat_require_expiry", p->pat_require_expiry);
	if (p->require_2fa[0])
		cJSON_AddStringToObject(o, "require_2fa", p->require_2fa);
	else
		cJSON_AddNullToObject(o, "require_2fa");
	render_time(o, "updated_at", p->updated_at);
	return o;
}

cJSON *render_inventory_item(const struct inventory_item *t, const char *status,
			     bool exceeds_policy)
{
	char ref[32];
	uint64_t scopes = 0;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	snprintf(ref, sizeof ref, "%s:%lld", t->kind, (long long)t->id);
	cJSON_AddStringToObject(o, "ref", ref);
	cJSON_AddStringToObject(o, "kind", t->kind);
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	/* An access token from before jeton kept jtis: its app's format. */
	bool jwt = t->jti[0] ||
		   (strcmp(t->kind, "access") == 0 && strcmp(t->token_format, "jwt") == 0);
	cJSON_AddStringToObject(o, "format", jwt ? "jwt" : "opaque");
	add_text_or_null(o, "jti", t->jti);
	add_text_or_null(o, "name", t->name);
	cJSON *user = t->user_id ? cJSON_AddObjectToObject(o, "user") : NULL;
	if (user) {
		cJSON_AddNumberToObject(user, "id", (double)t->user_id);
		cJSON_AddStringToObject(user, "email", t->email);
	} else {
		cJSON_AddNullToObject(o, "user");
	}
	cJSON *app = t->app_id ? cJSON_AddObjectToObject(o, "app") : NULL;
	if (app) {
		cJSON_AddNumberToObject(app, "id", (double)t->app_id);
		cJSON_AddStringToObject(app, "name", t->app_name);
		cJSON_AddStringToObject(app, "client_id", t->client_id);
	} else {
		cJSON_AddNullToObject(o, "app");
	}
	if (t->space_id)
		cJSON_AddNumberToObject(o, "space_id", (double)t->space_id);
	else
		cJSON_AddNullToObject(o, "space_id");
	if (scope_parse(t->scopes, strlen(t->scopes), &scopes) != JT_OK)
		scopes = 0;
	cJSON_AddItemToObject(o, "scopes", render_scopes(scopes));
	render_time(o, "created_at", t->created_at);
	render_time(o, "expires_at", t->expires_at);
	render_time(o, "last_used_at", t->last_used_at);
	add_text_or_null(o, "last_used_ip", t->last_used_ip);
	cJSON_AddStringToObject(o, "status", status);
	render_time(o, "revoked_at", t->revoked_at);
	add_text_or_null(o, "revocation_reason", t->revoked_reason);
	cJSON_AddBoolToObject(o, "exceeds_policy", exceeds_policy);
	return o;
}
