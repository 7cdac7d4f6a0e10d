/* SPDX-License-Identifier: MIT */
/* GET /.well-known/oauth-authorization-server (RFC 8414). */
#include "oauth/oauth.h"
#include "server/server.h"
#include "keys/keys.h"

#include <stdio.h>

void oauth_add_url(cJSON *o, const char *key, const char *issuer, const char *path)
{
	char url[LIMIT_URL_BYTES + 1];
	snprintf(url, sizeof url, "%s%s", issuer, path);
	cJSON_AddStringToObject(o, key, url);
}

static void add_list(cJSON *o, const char *key, const char *const *items, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
}

void oauth_metadata(struct http_req *req)
{
	static const char *const responses[] = {"code"};
	static const char *const modes[] = {"query"};
	static const char *const grants[] = {"authorization_code", "refresh_token",
					     "client_credentials", DEVICE_GRANT_URN};
	static const char *const auth_methods[] = {"client_secret_basic", "client_secret_post",
						   "none"};
	static const char *const confidential[] = {"client_secret_basic", "client_secret_post"};
	/* plain is an exception an app's registration makes, not something a
	 * client may pick (RFC 9700 §2.1.1). */
	static const char *const pkce[] = {"S256"};
	const char *issuer = jeton_of(req)->issuer;

	cJSON *o = cJSON_CreateObject();
	if (!o) {
		http_reply_status(req, JT_ENOMEM, "metadata");
		return;
	}
	cJSON_AddStringToObject(o, "issuer", issuer);
	oauth_add_url(o, "authorization_endpoint", issuer, "/oauth/authorize");
	oauth_add_url(o, "token_endpoint", issuer, "/oauth/token");
	oauth_add_url(o, "device_authorization_endpoint", issuer, "/oauth/device_authorization");
	oauth_add_url(o, "revocation_endpoint", issuer, "/oauth/revoke");
	oauth_add_url(o, "introspection_endpoint", issuer, "/oauth/introspect");
	oauth_add_url(o, "userinfo_endpoint", issuer, "/oauth/user_info");
	oauth_add_url(o, "jwks_uri", issuer, "/.well-known/jwks.json");
	add_list(o, "response_types_supported", responses, 1);
	add_list(o, "response_modes_supported", modes, 1);
	add_list(o, "grant_types_supported", grants, 4);
	add_list(o, "token_endpoint_auth_methods_supported", auth_methods, 3);
	add_list(o, "revocation_endpoint_auth_methods_supported", auth_methods, 3);
	add_list(o, "introspection_endpoint_auth_methods_supported", confidential, 2);
	add_list(o, "code_challenge_methods_supported", pkce, 1);
	cJSON *scopes = cJSON_AddArrayToObject(o, "scopes_supported");
	for (int i = 0; scopes && i < SCOPE_COUNT; i++)
		cJSON_AddItemToArray(scopes, cJSON_CreateString(scope_name(1u << i)));
	cJSON_AddBoolToObject(o, "authorization_response_iss_parameter_supported", 1);
	static const char *const signing[] = {"EdDSA", "ES256", "RS256"};
	add_list(o, "access_token_signing_alg_values_supported", signing, 3);
	oauth_add_url(o, "service_documentation", issuer, "/console");
	http_header_add(req, "Cache-Control", "public, max-age=300");
	http_reply_json(req, 200, o);
}

void oauth_jwks(struct http_req *req)
{
	cJSON *o = keyring_jwks(jeton_of(req)->keys);
	/* Short: a rotation must reach resource servers well within a JWT's life. */
	http_header_add(req, "Cache-Control", "public, max-age=60");
	http_reply_json(req, 200, o);
}
