/* SPDX-License-Identifier: MIT */
/* What the token, revocation and introspection endpoints share: their form
 * parameters, how a client proves who it is (RFC 6749 §2.3), and RFC 6749
 * §5.2's error replies. */
#include "oauth/oauth.h"
#include "server/server.h"
#include "auth/auth.h"
#include "crypto/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void oauth_error(struct http_req *req, enum jt_status st, const char *error,
		 const char *description)
{
	auth_count_oauth_error(jeton_of(req)->auth, error);
	http_header_add(req, "Pragma", "no-cache");
	http_reply_fail_with(req, st, error, "%s", description);
}

void oauth_fail(struct http_req *req, enum jt_status st, const char *description)
{
	auth_count_oauth_error(jeton_of(req)->auth, http_error_of(st));
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
