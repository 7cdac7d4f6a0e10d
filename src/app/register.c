/* SPDX-License-Identifier: MIT */
/* App registration: defaults, the rules an app must meet, client ids and
 * secrets. Shared by /v1/apps, the console and `jeton app`. */
#include "app/app.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

bool app_uses_jwt(const struct app *a)
{
	return strcmp(a->token_format, "jwt") == 0;
}

uint64_t app_scopes_within(const struct app *a, const char *granted)
{
	uint64_t allowed = 0, scopes = 0;
	if (scope_parse(a->scopes, strlen(a->scopes), &allowed) != JT_OK ||
	    scope_parse(granted, strlen(granted), &scopes) != JT_OK)
		return 0;
	return scopes & allowed;
}

void app_defaults(struct app *a)
{
	memset(a, 0, sizeof *a);
	a->access_ttl = LIMIT_DEFAULT_ACCESS_TTL;
	a->refresh_ttl = LIMIT_DEFAULT_REFRESH_TTL;
	a->rotate_refresh = true;
	a->refresh_grace = LIMIT_DEFAULT_REFRESH_GRACE;
	snprintf(a->token_format, sizeof a->token_format, "opaque");
	snprintf(a->scopes, sizeof a->scopes, "read_content");
}

enum jt_status app_add_redirect(struct app *a, const char *uri)
{
	size_t used = strlen(a->redirect_uris), n = strlen(uri), count = used ? 1 : 0;
	for (const char *p = a->redirect_uris; *p; p++)
		count += *p == '\n';
	if (count >= LIMIT_REDIRECT_URIS || n > LIMIT_URI_BYTES ||
	    used + n + 2 > sizeof a->redirect_uris)
		return JT_ETOOBIG;
	if (used)
		a->redirect_uris[used++] = '\n';
	memcpy(a->redirect_uris + used, uri, n + 1);
	return JT_OK;
}

static enum jt_status fail(char *why, size_t why_len, const char *text)
{
	snprintf(why, why_len, "%s", text);
	return JT_EINVAL;
}

enum jt_status app_validate(const struct app *a, char *why, size_t why_len)
{
	unsigned grants = 0;
	uint64_t scopes = 0;

	if (!text_name_valid(a->name, strlen(a->name), LIMIT_NAME_CHARS))
		return fail(why, why_len, "name is required: 1 to 100 characters.");
	if (grant_type_parse(a->grants, &grants) != JT_OK || grants == 0)
		return fail(why, why_len,
			    "grants must name authorization_code, refresh_token, "
			    "client_credentials or device_code.");
	if (scope_parse(a->scopes, strlen(a->scopes), &scopes) != JT_OK || scopes == 0)
		return fail(why, why_len, "scopes must be a non-empty list of known scopes.");
	if ((grants & GRANT_REFRESH_TOKEN) &&
	    !(grants & (GRANT_AUTHORIZATION_CODE | GRANT_DEVICE_CODE)))
		return fail(why, why_len,
			    "refresh_token needs the authorization_code or device_code grant.");
	if ((grants & GRANT_AUTHORIZATION_CODE) && !a->redirect_uris[0])
		return fail(why, why_len, "authorization_code needs at least one redirect URI.");
	for (const char *p = a->redirect_uris; *p;) {
		char uri[LIMIT_URI_BYTES + 1];
		size_t n = strcspn(p, "\n");
		if (n == 0 || n > LIMIT_URI_BYTES)
			return fail(why, why_len,
				    "A redirect URI is empty or longer than 512 bytes.");
		memcpy(uri, p, n);
		uri[n] = '\0';
		if (!redirect_uri_valid(uri))
			return fail(
				why, why_len,
				"Redirect URIs must be absolute https URLs, http on localhost or "
				"127.0.0.1, or a private scheme such as com.example.app:/cb; no "
				"fragment or wildcard.");
		p += n;
		if (*p)
			p++;
	}
	if (a->public_client && (grants & GRANT_CLIENT_CREDENTIALS))
		return fail(why, why_len, "A public app cannot use client_credentials.");
	if (a->public_client && a->introspect)
		return fail(why, why_len,
			    "A public app cannot introspect: it has no secret to "
			    "authenticate with.");
	if (a->access_ttl < 60 || a->access_ttl > LIMIT_ACCESS_TTL_MAX)
		return fail(why, why_len, "access_ttl must be 60 to 7776000 seconds.");
	if (a->refresh_ttl < 0 || a->refresh_ttl > LIMIT_REFRESH_TTL_MAX)
		return fail(why, why_len, "refresh_ttl must be 0 to 31622400 seconds.");
	if (a->refresh_grace < 0 || a->refresh_grace > LIMIT_REFRESH_GRACE_MAX)
		return fail(why, why_len, "refresh_grace must be 0 to 300 seconds.");
	if (strcmp(a->token_format, "opaque") != 0 && strcmp(a->token_format, "jwt") != 0)
		return fail(why, why_len, "token_format must be opaque or jwt.");
	if (app_uses_jwt(a) && a->access_ttl > KEYS_JWT_TTL_MAX)
		return fail(why, why_len,
			    "JWT access tokens live at most 86400 seconds: a resource "
			    "server checking them offline sees a revocation only when "
			    "they expire.");
	return JT_OK;
}

static void new_secret(struct app *a, char secret[TOKEN_LEN + 1])
{
	token_generate(TOKEN_SECRET, secret);
	hash_sha256(secret, TOKEN_LEN, a->secret_hash);
	a->has_secret = true;
}

enum jt_status app_register(struct store *st, struct app *a, char secret[TOKEN_LEN + 1])
{
	secret[0] = '\0';
	a->has_secret = false;
	if (a->public_client)
		a->rotate_refresh = true; /* RFC 9700 §4.14.2: public clients always rotate */
	else
		new_secret(a, secret);
	a->created_at = time_now();
	random_base62(a->client_id, CLIENT_ID_CHARS);
	enum jt_status status = store_app_insert(st, a);
	if (status != JT_OK)
		crypto_wipe(secret, TOKEN_LEN + 1); /* a secret that was not stored is no one's */
	return status;
}

enum jt_status app_new_secret(struct store *st, struct app *a, char secret[TOKEN_LEN + 1])
{
	secret[0] = '\0';
	if (a->public_client)
		return JT_ECONFLICT;
	new_secret(a, secret);
	enum jt_status status = store_app_set_secret(st, a->id, a->secret_hash, time_now());
	if (status != JT_OK)
		crypto_wipe(secret, TOKEN_LEN + 1);
	return status;
}
