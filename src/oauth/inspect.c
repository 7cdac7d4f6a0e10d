/* SPDX-License-Identifier: MIT */
/* The resource server's side: /oauth/introspect (RFC 7662), /oauth/revoke
 * (RFC 7009) and /oauth/user_info (as Storyblok's). Introspection and
 * revocation take every kind of jeton token, personal ones included; a
 * client introspects only its own tokens unless it is registered as a
 * resource server (the app's introspect flag). */
#include "oauth/oauth.h"
#include "server/server.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static void inactive(struct http_req *req)
{
	cJSON *o = cJSON_CreateObject();
	if (o)
		cJSON_AddBoolToObject(o, "active", 0);
	http_reply_json(req, 200, o);
}

static void add_id_string(cJSON *o, const char *key, int64_t id)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)id);
	cJSON_AddStringToObject(o, key, buf);
}

/* RFC 7662 §2.1-2.2: the client may learn about tokens issued to itself;
 * about the others (other apps', personal ones) only a resource server
 * may. To anyone else such a token is inactive, which reveals nothing. */
static bool may_introspect(const struct app *caller, int64_t token_app_id)
{
	return caller->introspect || (token_app_id && token_app_id == caller->id);
}

/* RFC 7662 §2.2's answer for an active access token: it depends on the
 * token alone (and the issuer, fixed for the process). */
static cJSON *active_body(const struct principal *p, const char *issuer)
{
	char scope[LIMIT_SCOPES_BYTES + 1];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "active", 1);
	scope_format(p->token_scopes, scope, sizeof scope);
	cJSON_AddStringToObject(o, "scope", scope);
	if (p->client_id[0])
		cJSON_AddStringToObject(o, "client_id", p->client_id);
	if (p->user.id) {
		add_id_string(o, "sub", p->user.id);
		cJSON_AddStringToObject(o, "username", p->user.email);
	} else {
		cJSON_AddStringToObject(o, "sub", p->client_id);
	}
	if (p->expires_at)
		cJSON_AddNumberToObject(o, "exp", (double)p->expires_at);
	cJSON_AddNumberToObject(o, "iat", (double)p->created_at);
	cJSON_AddStringToObject(o, "iss", issuer);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	cJSON_AddStringToObject(o, "token_kind", token_kind_name(p->kind));
	if (p->space_id)
		cJSON_AddNumberToObject(o, "space_id", (double)p->space_id);
	return o;
}

/* The active answer is rendered once per verification-cache entry and
 * reused by every introspection of the token while the entry lives. */
static void introspect_access(struct http_req *req, const struct app *caller, const char *token)
{
	struct jeton *jt = jeton_of(req);
	struct principal *p = NULL;

	if (auth_verify_token(jt->auth, token, strlen(token), &p) != AUTH_OK) {
		inactive(req);
		return;
	}
	if (!may_introspect(caller, p->app_id)) {
		auth_release(p);
		inactive(req);
		return;
	}
	struct http_prepared *r = auth_rendered_get(p, AUTH_RENDER_INTROSPECT);
	if (r) {
		http_reply_prepared(req, r);
	} else {
		http_reply_json(req, 200, active_body(p, jt->issuer));
		if (req->status == 200 && (r = http_prepare(req)))
			auth_rendered_keep(p, AUTH_RENDER_INTROSPECT, r, http_prepared_free);
	}
	auth_release(p);
}

/* The grant's scopes that its app may still have (as a refresh gives). */
static void introspect_refresh(struct http_req *req, const struct app *caller, const char *token)
{
	struct jeton *jt = jeton_of(req);
	uint8_t hash[HASH_SHA256_LEN];
	struct oauth_token t;
	struct app app;
	struct user u;
	char scope[LIMIT_SCOPES_BYTES + 1];

	hash_sha256(token, strlen(token), hash);
	if (store_oauth_find_by_hash(jt->store, hash, &t) != JT_OK ||
	    strcmp(t.kind, "refresh") != 0 || !may_introspect(caller, t.app_id) || t.revoked_at ||
	    t.rotated_at || t.expires_at <= time_now() ||
	    store_user_get(jt->store, t.user_id, &u) != JT_OK || u.disabled ||
	    store_app_get(jt->store, t.app_id, &app) != JT_OK) {
		inactive(req);
		return;
	}
	uint64_t scopes = app_scopes_within(&app, t.scopes);
	if (!scopes) { /* the app was narrowed to nothing of this grant: it cannot refresh */
		inactive(req);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "active", 1);
	scope_format(scopes, scope, sizeof scope);
	cJSON_AddStringToObject(o, "scope", scope);
	cJSON_AddStringToObject(o, "client_id", app.client_id);
	add_id_string(o, "sub", t.user_id);
	cJSON_AddStringToObject(o, "username", u.email);
	cJSON_AddNumberToObject(o, "exp", (double)t.expires_at);
	cJSON_AddNumberToObject(o, "iat", (double)t.created_at);
	cJSON_AddStringToObject(o, "iss", jt->issuer);
	cJSON_AddStringToObject(o, "token_type", "refresh_token");
	cJSON_AddStringToObject(o, "token_kind", "refresh");
	if (t.space_id)
		cJSON_AddNumberToObject(o, "space_id", (double)t.space_id);
	http_reply_json(req, 200, o);
}

/* Reads the token parameter; false after replying when it is missing. A
 * JWT access token comes back as TOKEN_ACCESS. */
static bool token_param(struct http_req *req, char *out, size_t out_len, enum token_kind *kind)
{
	bool present;
	char big[LIMIT_FORM_VALUE_BYTES];
	if (!oauth_param(req, "token", big, sizeof big, &present)) {
		crypto_wipe(big, sizeof big); /* a value too long or badly encoded, half decoded */
		return false;
	}
	if (!present) {
		oauth_error(req, JT_EINVAL, "invalid_request", "The parameter token is missing.");
		return false;
	}
	size_t n = strlen(big);
	*kind = TOKEN_NONE;
	out[0] = '\0';
	if (n < out_len && (token_parse(big, n, kind) == JT_OK || auth_looks_like_jwt(big, n))) {
		memcpy(out, big, n + 1);
		if (*kind == TOKEN_NONE)
			*kind = TOKEN_ACCESS;
	} else {
		*kind = TOKEN_NONE;
	}
	crypto_wipe(big, n + 1); /* what the decoding wrote, not all 4 KiB */
	return true;
}

void oauth_introspect(struct http_req *req)
{
	char token[ISSUED_ACCESS_MAX];
	enum token_kind kind;
	struct app app;

	if (!oauth_client_authenticate(req, false, &app) ||
	    !token_param(req, token, sizeof token, &kind))
		return;
	if (kind == TOKEN_PAT || kind == TOKEN_ACCESS || kind == TOKEN_CLIENT)
		introspect_access(req, &app, token);
	else if (kind == TOKEN_REFRESH)
		introspect_refresh(req, &app, token);
	else
		inactive(req);
	crypto_wipe(token, strlen(token) + 1);
}

void oauth_revoke(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	char token[ISSUED_ACCESS_MAX];
	enum token_kind kind;
	uint8_t hash[HASH_SHA256_LEN];
	struct app app;
	struct pat pat;
	struct oauth_token t;
	enum jt_status st = JT_OK;

	if (!oauth_client_authenticate(req, true, &app) ||
	    !token_param(req, token, sizeof token, &kind))
		return;
	int64_t now = time_now();
	if (kind != TOKEN_NONE)
		hash_sha256(token, strlen(token), hash);
	crypto_wipe(token, sizeof token);
	if (kind == TOKEN_PAT) {
		/* Whoever holds a personal token may kill it (a leaked token
		 * found by anyone should die at once). */
		if (store_pat_find_by_hash(jt->store, hash, &pat) == JT_OK)
			st = store_pat_revoke(jt->store, 0, pat.id, now, &pat);
	} else if (kind == TOKEN_ACCESS || kind == TOKEN_CLIENT || kind == TOKEN_REFRESH) {
		st = store_oauth_find_by_hash(jt->store, hash, &t);
		if (st == JT_OK && t.app_id && t.app_id != app.id) {
			oauth_error(req, JT_EINVAL, "unauthorized_client",
				    "The token was issued to another client.");
			return;
		}
		if (st == JT_OK && strcmp(t.kind, "refresh") == 0 && t.family_id)
			st = store_oauth_revoke_family(jt->store, t.family_id, now);
		else if (st == JT_OK)
			st = store_oauth_revoke(jt->store, t.id, now);
	}
	if (st == JT_ENOTFOUND) /* RFC 7009 §2.2: an unknown token is answered as revoked */
		st = JT_OK;
	if (st != JT_OK) {
		oauth_fail(req, st, "The store is unavailable.");
		return;
	}
	auth_invalidate(jt->auth);
	http_reply_empty(req, 200);
}

void oauth_user_info(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, 0);
	if (!p)
		return;
	if (!p->user.id) {
		auth_release(p);
		http_reply_fail_with(req, JT_EDENIED, "insufficient_scope",
				     "A client token has no user.");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *user = cJSON_AddObjectToObject(o, "user");
	cJSON_AddNumberToObject(user, "id", (double)p->user.id);
	cJSON_AddStringToObject(user, "friendly_name", p->user.friendly_name);
	cJSON_AddStringToObject(user, "email", p->user.email);
	cJSON *roles = cJSON_CreateArray();
	if (p->space_id && p->nspaces == 1) {
		cJSON *space = cJSON_AddObjectToObject(o, "space");
		cJSON_AddNumberToObject(space, "id", (double)p->spaces[0].id);
		cJSON_AddStringToObject(space, "name", p->spaces[0].name);
		cJSON *role = cJSON_CreateObject();
		cJSON_AddStringToObject(role, "name", p->spaces[0].role);
		cJSON_AddItemToArray(roles, role);
	} else {
		cJSON_AddNullToObject(o, "space");
	}
	cJSON_AddItemToObject(o, "roles", roles);
	auth_release(p);
	http_reply_json(req, 200, o);
}
