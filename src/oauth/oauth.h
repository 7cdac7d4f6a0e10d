/* SPDX-License-Identifier: MIT */
/* The OAuth 2.0 authorization server (RFC 6749, 7009, 7636, 7662, 8414,
 * and the security BCP, RFC 9700).
 *
 * client.c     form parameters, client authentication, error replies
 * pkce.c       code challenges (RFC 7636)
 * issue.c      minting access and refresh tokens, the token response
 * authorize.c  /oauth/authorize: login, consent, codes
 * device.c     the device authorization grant (RFC 8628): its endpoint,
 *              the /device page, the device's polls
 * token.c      /oauth/token: every grant
 * inspect.c    /oauth/introspect, /oauth/revoke, /oauth/user_info
 * metadata.c   /.well-known/oauth-authorization-server
 *
 * The apps themselves (OAuth clients: their rules, grant types, redirect
 * URIs, registration) are src/app's. */
#ifndef JETON_OAUTH_H
#define JETON_OAUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app/app.h"
#include "http/http.h"
#include "store/store.h"
#include "token/token.h"

/* ---- client.c ---- */

/* Reads the form parameter key of the request body into out ("" and
 * *present false when absent). False, with a 400 invalid_request reply
 * set, when it repeats, is badly encoded or is longer than out_len - 1. */
bool oauth_param(struct http_req *req, const char *key, char *out, size_t out_len, bool *present);

/* Authenticates the client of a token, revocation or introspection
 * request: HTTP Basic (client_secret_basic) or client_id and client_secret
 * in the form (client_secret_post); a public app by client_id alone when
 * allow_public. On failure sets the RFC 6749 §5.2 reply (401 invalid_client,
 * with a Basic challenge when Basic was tried) and returns false. */
bool oauth_client_authenticate(struct http_req *req, bool allow_public, struct app *out);

/* Sets an RFC 6749 §5.2 error reply: error is the protocol's code, and the
 * HTTP status comes from st through http_status_of (JT_EINVAL 400; JT_EAUTH
 * 401 for invalid_client and the password form's bad credentials;
 * JT_ETHROTTLED 429 for slow_down). */
void oauth_error(struct http_req *req, enum jt_status st, const char *error,
		 const char *description);
/* Sets the reply for a failure of the server rather than of the request
 * (the store, memory): st's status and error code, as everywhere
 * (JT_ESTORE 503 temporarily_unavailable, JT_ENOMEM 500 server_error). */
void oauth_fail(struct http_req *req, enum jt_status st, const char *description);

/* ---- pkce.c ---- */

/* A code challenge as sent to /oauth/authorize: method S256 or plain,
 * 43-128 unreserved characters. */
bool pkce_challenge_valid(const char *challenge, const char *method);
/* Checks a code verifier against a stored challenge, in constant time. */
bool pkce_verify(const char *verifier, const char *challenge, const char *method);

/* ---- issue.c ---- */

#define ISSUED_ACCESS_MAX (LIMIT_JWT_BYTES + 1) /* an opaque token or a JWT */

struct issued {
	char access[ISSUED_ACCESS_MAX];
	char refresh[TOKEN_LEN + 1];  /* "" when none */
	struct oauth_token tokens[2]; /* access, then refresh */
	size_t ntokens;
	int64_t expires_in;
	bool jwt;   /* access is a JWT */
	bool again; /* the answer given before, repeated (refresh grace): not counted */
};

/* What a token is for: who gets it, for which app and space, with what. */
struct issue_terms {
	enum token_kind kind;  /* TOKEN_ACCESS (a user's) or TOKEN_CLIENT (an app's) */
	const struct app *app; /* NULL: a user's own password grant */
	int64_t user_id;       /* 0 for TOKEN_CLIENT */
	int64_t space_id;
	int64_t family_id;
	uint64_t scopes;
	int64_t access_ttl;
	int64_t refresh_ttl;   /* 0: no refresh token */
	bool jwt;              /* a signed JWT (RFC 9068) rather than an opaque token */
	const char *client_id; /* the JWT's client_id when there is no app (the password
				  * form: the email the client sent as its client_id) */
};

/* The terms of a token an app gets for one of its users' grants (the code,
 * device and refresh grants): the app's lifetimes and format; a refresh
 * token with it when refresh is true. */
struct issue_terms issue_grant_terms(const struct app *app, int64_t user_id, int64_t space_id,
				     int64_t family_id, uint64_t scopes, bool refresh);

/* Fills out with a fresh access token and, with refresh_ttl > 0, a
 * refresh token; nothing is stored yet. A JWT is signed with the server's
 * current key. */
enum jt_status issue_prepare(struct http_req *req, const struct issue_terms *terms,
			     struct issued *out);
/* The RFC 6749 §5.1 response for out. */
void issue_reply(struct http_req *req, const struct issued *out, uint64_t scopes, int64_t space_id);
/* A random positive 63-bit id for a grant family. */
int64_t issue_family_id(void);

/* ---- authorize.c: the consent page, shared with device.c ---- */

struct cJSON;
/* Adds {name, value} to fields, a list of the form's hidden inputs. */
void oauth_hidden(struct cJSON *fields, const char *name, const char *value);
/* The consent page: app asks for scopes of u; the form posts to action
 * with fields (taken over; the CSRF token is added) and a space choice;
 * redirect_uri, when not NULL, is said to receive the access. */
void oauth_consent_page(struct http_req *req, const char *app, uint64_t scopes,
			const struct user *u, const char *action, const char *redirect_uri,
			struct cJSON *fields);
/* True if user_id is a member of space_id. */
bool oauth_user_in_space(struct store *st, int64_t user_id, int64_t space_id);

/* ---- metadata.c ---- */

/* Adds key: the issuer's URL with path, as metadata and device answers name
 * endpoints. */
void oauth_add_url(struct cJSON *o, const char *key, const char *issuer, const char *path);

/* ---- device.c ---- */

#define DEVICE_GRANT_URN "urn:ietf:params:oauth:grant-type:device_code"
/* POST /oauth/token with grant_type DEVICE_GRANT_URN, for app. */
void oauth_device_grant(struct http_req *req, const struct app *app);

/* ---- handlers ---- */
void oauth_authorize(struct http_req *req);
void oauth_device_authorization(struct http_req *req);
void oauth_device_page(struct http_req *req);
void oauth_token(struct http_req *req);
void oauth_revoke(struct http_req *req);
void oauth_introspect(struct http_req *req);
void oauth_user_info(struct http_req *req);
void oauth_metadata(struct http_req *req);
void oauth_jwks(struct http_req *req);

#endif
