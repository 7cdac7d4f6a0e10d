/* SPDX-License-Identifier: MIT */
/* Minting OAuth tokens and the token response (RFC 6749 §5.1). */
#include "oauth/oauth.h"
#include "server/server.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

int64_t issue_family_id(void)
{
	uint64_t v;
	random_bytes(&v, sizeof v);
	v &= (uint64_t)INT64_MAX;
	return v ? (int64_t)v : 1;
}

static void mint(enum token_kind kind, const char *record_kind, int64_t app_id, int64_t user_id,
		 int64_t space_id, int64_t family_id, uint64_t scopes, int64_t now, int64_t ttl,
		 char token[TOKEN_LEN + 1], struct oauth_token *t)
{
	memset(t, 0, sizeof *t);
	token_generate(kind, token);
	hash_sha256(token, TOKEN_LEN, t->hash);
	snprintf(t->kind, sizeof t->kind, "%s", record_kind);
	t->app_id = app_id;
	t->user_id = user_id;
	t->space_id = space_id;
	t->family_id = family_id;
	scope_format(scopes, t->scopes, sizeof t->scopes);
	t->created_at = now;
	t->expires_at = now + ttl;
}

/* Signs the access token of terms as an RFC 9068 JWT into out->access;
 * its record t keeps the jti, for the admins' inventory. */
static enum jt_status sign_jwt(struct http_req *req, const struct issue_terms *terms,
			       struct oauth_token *t, struct issued *out)
{
	struct jeton *jt = jeton_of(req);
	char sub[24], scope[LIMIT_SCOPES_BYTES + 1], *jwt = NULL;
	enum jt_status st = JT_ENOMEM;

	random_base62(t->jti, LIMIT_JTI_CHARS);
	scope_format(terms->scopes, scope, sizeof scope);
	cJSON *c = cJSON_CreateObject();
	if (!c)
		return JT_ENOMEM;
	cJSON_AddStringToObject(c, "iss", jt->issuer);
	if (terms->user_id) {
		snprintf(sub, sizeof sub, "%lld", (long long)terms->user_id);
		cJSON_AddStringToObject(c, "sub", sub);
	} else {
		cJSON_AddStringToObject(c, "sub", terms->app ? terms->app->client_id : "");
	}
	cJSON_AddStringToObject(c, "aud", jt->issuer);
	cJSON_AddNumberToObject(c, "exp", (double)t->expires_at);
	cJSON_AddNumberToObject(c, "iat", (double)t->created_at);
	cJSON_AddStringToObject(c, "jti", t->jti);
	if (terms->app || terms->client_id)
		cJSON_AddStringToObject(c, "client_id",
					terms->app ? terms->app->client_id : terms->client_id);
	cJSON_AddStringToObject(c, "scope", scope);
	if (terms->space_id)
		cJSON_AddNumberToObject(c, "space_id", (double)terms->space_id);
	st = keyring_sign(jt->keys, c, &jwt);
	cJSON_Delete(c);
	if (st == JT_OK && strlen(jwt) >= sizeof out->access)
		st = JT_ETOOBIG;
	if (st == JT_OK)
		memcpy(out->access, jwt, strlen(jwt) + 1);
	if (jwt)
		crypto_wipe(jwt, strlen(jwt));
	jt_free(jwt);
	return st;
}

struct issue_terms issue_grant_terms(const struct app *app, int64_t user_id, int64_t space_id,
				     int64_t family_id, uint64_t scopes, bool refresh)
{
	return (struct issue_terms){
		.kind = TOKEN_ACCESS,
		.app = app,
		.user_id = user_id,
		.space_id = space_id,
		.family_id = family_id,
		.scopes = scopes,
		.access_ttl = app->access_ttl,
		.refresh_ttl = refresh ? app->refresh_ttl : 0,
		.jwt = app_uses_jwt(app),
	};
}

enum jt_status issue_prepare(struct http_req *req, const struct issue_terms *terms,
			     struct issued *out)
{
	int64_t now = time_now();
	int64_t app_id = terms->app ? terms->app->id : 0;
	char opaque[TOKEN_LEN + 1];
	memset(out, 0, sizeof *out);
	mint(terms->kind, terms->kind == TOKEN_CLIENT ? "client" : "access", app_id, terms->user_id,
	     terms->space_id, terms->family_id, terms->scopes, now, terms->access_ttl, opaque,
	     &out->tokens[0]);
	memcpy(out->access, opaque, sizeof opaque);
	if (terms->jwt) {
		/* The JWT replaces the opaque string; the store keeps its hash
		 * so that revocation and introspection work as for any token. */
		enum jt_status st = sign_jwt(req, terms, &out->tokens[0], out);
		if (st != JT_OK) {
			crypto_wipe(opaque, sizeof opaque);
			crypto_wipe(out, sizeof *out);
			return st;
		}
		hash_sha256(out->access, strlen(out->access), out->tokens[0].hash);
		out->jwt = true;
	}
	crypto_wipe(opaque, sizeof opaque);
	out->ntokens = 1;
	out->expires_in = terms->access_ttl;
	if (terms->refresh_ttl > 0) {
		mint(TOKEN_REFRESH, "refresh", app_id, terms->user_id, terms->space_id,
		     terms->family_id, terms->scopes, now, terms->refresh_ttl, out->refresh,
		     &out->tokens[1]);
		out->ntokens = 2;
	}
	return JT_OK;
}

/* For /metrics: what out gave. */
static void count_issued(struct auth *a, const struct issued *out)
{
	if (out->again)
		return;
	bool client = strcmp(out->tokens[0].kind, "client") == 0;
	if (out->jwt)
		auth_count_issued(a, AUTH_ISSUED_JWT);
	else
		auth_count_issued(a, client ? AUTH_ISSUED_CLIENT : AUTH_ISSUED_OAUTH);
	if (out->refresh[0])
		auth_count_issued(a, AUTH_ISSUED_REFRESH);
}

void issue_reply(struct http_req *req, const struct issued *out, uint64_t scopes, int64_t space_id)
{
	char names[LIMIT_SCOPES_BYTES + 1];
	count_issued(jeton_of(req)->auth, out);
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "access_token", out->access);
		cJSON_AddStringToObject(o, "token_type", "Bearer");
		cJSON_AddNumberToObject(o, "expires_in", (double)out->expires_in);
		if (out->refresh[0])
			cJSON_AddStringToObject(o, "refresh_token", out->refresh);
		scope_format(scopes, names, sizeof names);
		cJSON_AddStringToObject(o, "scope", names);
		if (space_id)
			cJSON_AddNumberToObject(o, "space_id", (double)space_id);
	}
	http_header_add(req, "Pragma", "no-cache");
	http_secret(req);
	http_reply_json(req, 200, o);
}
