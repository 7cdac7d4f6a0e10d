/* SPDX-License-Identifier: MIT */
/* Minting OAuth tokens and the token response (RFC 6749 §5.1). */
#include "oauth/oauth.h"
#include "crypto/crypto.h"
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

static void mint(enum token_kind kind, const char *record_kind, int64_t app_id,
		 int64_t user_id, int64_t space_id, int64_t family_id, uint64_t scopes,
		 int64_t now, int64_t ttl, char token[TOKEN_LEN + 1], struct oauth_token *t)
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

void issue_prepare(enum token_kind kind, int64_t app_id, int64_t user_id, int64_t space_id,
		   int64_t family_id, uint64_t scopes, int64_t access_ttl, int64_t refresh_ttl,
		   struct issued *out)
{
	int64_t now = time_now();
	memset(out, 0, sizeof *out);
	mint(kind, kind == TOKEN_CLIENT ? "client" : "access", app_id, user_id, space_id,
	     family_id, scopes, now, access_ttl, out->access, &out->tokens[0]);
	out->ntokens = 1;
	out->expires_in = access_ttl;
	if (refresh_ttl > 0) {
		mint(TOKEN_REFRESH, "refresh", app_id, user_id, space_id, family_id, scopes, now,
		     refresh_ttl, out->refresh, &out->tokens[1]);
		out->ntokens = 2;
	}
}

void issue_reply(struct http_req *req, const struct issued *out, uint64_t scopes,
		 int64_t space_id)
{
	char names[LIMIT_SCOPES_BYTES + 1];
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
	http_reply_json(req, 200, o);
}
