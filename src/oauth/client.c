/* SPDX-License-Identifier: MIT */
/* What an app is allowed (grant types, redirect URIs) and how a client
 * proves who it is (RFC 6749 §2.3). */
#include "oauth/oauth.h"
#include "server/server.h"
#include "auth/auth.h"
#include "crypto/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	unsigned bit;
	const char *name;
} grant_type_names[] = {
	{GRANT_AUTHORIZATION_CODE, "authorization_code"},
	{GRANT_REFRESH_TOKEN, "refresh_token"},
	{GRANT_CLIENT_CREDENTIALS, "client_credentials"},
};

enum jt_status grant_type_parse(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, " ,");
		if (n) {
			unsigned bit = 0;
			for (size_t i = 0; i < sizeof grant_type_names / sizeof grant_type_names[0];
			     i++)
				if (strlen(grant_type_names[i].name) == n &&
				    strncmp(grant_type_names[i].name, s, n) == 0)
					bit = grant_type_names[i].bit;
			if (!bit)
				return JT_EINVAL;
			*out |= bit;
		}
		s += n;
		if (*s)
			s++;
	}
	return JT_OK;
}

void grant_type_format(unsigned grants, char *out, size_t out_len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof grant_type_names / sizeof grant_type_names[0]; i++) {
		if (!(grants & grant_type_names[i].bit))
			continue;
		int n = snprintf(out + used, out_len - used, "%s%s", used ? " " : "",
				 grant_type_names[i].name);
		if (n < 0 || (size_t)n >= out_len - used)
			return;
		used += (size_t)n;
	}
}

unsigned app_grant_types(const struct app *a)
{
	unsigned g = 0;
	if (grant_type_parse(a->grants, &g) != JT_OK)
		return 0;
	return g;
}

static bool loopback_host(const char *host, size_t n)
{
	return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
	       (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	       (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

bool redirect_uri_valid(const char *uri)
{
	size_t n = strlen(uri);
	if (n == 0 || n > LIMIT_URI_BYTES || strchr(uri, '#') || strchr(uri, '*'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7F ||
		    uri[i] == '\\')
			return false;
	const char *colon = strchr(uri, ':');
	if (!colon || colon == uri)
		return false;
	size_t scheme_len = (size_t)(colon - uri);
	for (size_t i = 0; i < scheme_len; i++) {
		char c = uri[i];
		if (!((c >= 'a' && c <= 'z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-'))))
			return false;
	}
	bool https = scheme_len == 5 && strncmp(uri, "https", 5) == 0;
	bool http = scheme_len == 4 && strncmp(uri, "http", 4) == 0;
	if (!https && !http) /* a native app's private-use scheme: must contain a dot */
		return memchr(uri, '.', scheme_len) != NULL && colon[1] != '\0';
	if (strncmp(colon, "://", 3) != 0)
		return false;
	const char *host = colon + 3;
	/* An IPv6 literal keeps its colons inside brackets. */
	size_t host_len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?");
	if (host[0] == '[' && host[host_len - 1] != ']')
		return false;
	if (host_len == 0 || memchr(host, '@', strcspn(host, "/?")))
		return false;
	return https || loopback_host(host, host_len);
}

bool redirect_uri_registered(const struct app *a, const char *uri)
{
	size_t n = strlen(uri);
	const char *p = a->redirect_uris;
	while (*p) {
		size_t len = strcspn(p, "\n");
		if (len == n && memcmp(p, uri, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

bool redirect_uri_single(const struct app *a, char *out, size_t out_len)
{
	size_t len = strcspn(a->redirect_uris, "\n");
	if (len == 0 || a->redirect_uris[len] != '\0' || len >= out_len)
		return false;
	memcpy(out, a->redirect_uris, len + 1);
	return true;
}

void oauth_error(struct http_req *req, enum jt_status st, const char *error,
		 const char *description)
{
	http_header_add(req, "Pragma", "no-cache");
	http_reply_fail_with(req, st, error, "%s", description);
}

void oauth_fail(struct http_req *req, enum jt_status st, const char *description)
{
	http_header_add(req, "Pragma", "no-cache");
	http_reply_fail(req, st, "%s", description);
}

bool oauth_param(struct http_req *req, const char *key, char *out, size_t out_len, bool *present)
{
	char msg[128];
	enum jt_status st = http_form_get(req->body, req->body_len, key, out, out_len);
	*present = st == JT_OK;
	if (st == JT_OK || st == JT_ENOTFOUND) {
		if (st == JT_ENOTFOUND)
			out[0] = '\0';
		return true;
	}
	snprintf(msg, sizeof msg, "The parameter %s is %s.", key,
		 st == JT_ETOOBIG ? "too long" : "repeated or badly encoded");
	oauth_error(req, JT_EINVAL, "invalid_request", msg);
	return false;
}

static void invalid_client(struct http_req *req, bool basic, const char *description)
{
	if (basic)
		http_header_add(req, "WWW-Authenticate",
				"Basic realm=\"jeton\", charset=\"UTF-8\"");
	oauth_error(req, JT_EAUTH, "invalid_client", description);
}

/* Decodes "Basic base64(urlencode(id):urlencode(secret))" (RFC 6749 §2.3.1). */
static bool parse_basic(const char *header, char *id, size_t id_len, char *secret,
			size_t secret_len)
{
	unsigned char decoded[512];
	size_t decoded_len = 0;
	while (*header == ' ')
		header++;
	if (strlen(header) > 680 ||
	    sodium_base642bin(decoded, sizeof decoded - 1, header, strlen(header), NULL,
			      &decoded_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	decoded[decoded_len] = '\0';
	char *colon = memchr(decoded, ':', decoded_len);
	bool ok = colon && !memchr(decoded, '\0', decoded_len) &&
		  http_form_decode((char *)decoded, (size_t)(colon - (char *)decoded), id,
				   id_len) == JT_OK &&
		  http_form_decode(colon + 1, strlen(colon + 1), secret, secret_len) == JT_OK;
	crypto_wipe(decoded, sizeof decoded);
	return ok;
}

bool oauth_client_authenticate(struct http_req *req, bool allow_public, struct app *out)
{
	char id[LIMIT_CLIENT_ID_BYTES + 1] = "", secret[TOKEN_LEN + 8] = "";
	char form_id[LIMIT_CLIENT_ID_BYTES + 1], form_secret[TOKEN_LEN + 8];
	bool has_form_id, has_form_secret, ok = false;
	const char *auth = http_header(req, "Authorization");
	bool basic = auth && strncasecmp(auth, "Basic ", 6) == 0;

	if (!oauth_param(req, "client_id", form_id, sizeof form_id, &has_form_id) ||
	    !oauth_param(req, "client_secret", form_secret, sizeof form_secret, &has_form_secret))
		goto out;
	if (basic) {
		if (has_form_secret) {
			oauth_error(req, JT_EINVAL, "invalid_request",
				    "Use one client authentication method, not two.");
			goto out;
		}
		if (!parse_basic(auth + 6, id, sizeof id, secret, sizeof secret)) {
			invalid_client(req, true, "The Basic credentials are malformed.");
			goto out;
		}
		if (has_form_id && strcmp(form_id, id) != 0) {
			oauth_error(req, JT_EINVAL, "invalid_request",
				    "client_id in the form differs from the authenticated client.");
			goto out;
		}
	} else {
		memcpy(id, form_id, sizeof id);
		memcpy(secret, form_secret, sizeof secret);
	}
	if (!id[0]) {
		invalid_client(req, basic, "Client authentication is required.");
		goto out;
	}
	/* The credentials as presented, hashed: the key of the client cache. */
	uint8_t key[HASH_SHA256_LEN];
	char presented[sizeof id + sizeof secret + 1];
	int pn = snprintf(presented, sizeof presented, "%s%c%s", id, '\0', secret);
	hash_sha256(presented, pn > 0 ? (size_t)pn : 0, key);
	crypto_wipe(presented, sizeof presented);
	struct auth *cache = jeton_of(req)->auth;
	if (auth_client_get(cache, key, out)) {
		ok = out->has_secret || allow_public;
		if (!ok)
			invalid_client(req, basic, "This endpoint needs a confidential client.");
		goto out;
	}
	enum jt_status st = store_app_find_by_client_id(jeton_of(req)->store, id, out);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		goto out;
	}
	if (st != JT_OK) {
		invalid_client(req, basic, "Unknown client or wrong secret.");
		goto out;
	}
	if (!out->has_secret) {
		if (secret[0] || !allow_public) {
			invalid_client(req, basic,
				       allow_public ? "This client is public and has no secret."
						    : "This endpoint needs a confidential client.");
			goto out;
		}
		auth_client_put(cache, key, out);
		ok = true;
		goto out;
	}
	uint8_t digest[HASH_SHA256_LEN];
	hash_sha256(secret, strlen(secret), digest);
	if (!secret[0] || !hash_equal(digest, out->secret_hash, HASH_SHA256_LEN)) {
		invalid_client(req, basic, "Unknown client or wrong secret.");
		goto out;
	}
	auth_client_put(cache, key, out);
	ok = true;
out:
	crypto_wipe(secret, sizeof secret);
	crypto_wipe(form_secret, sizeof form_secret);
	return ok;
}
