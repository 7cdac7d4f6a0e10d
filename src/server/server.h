/* SPDX-License-Identifier: MIT */
/* What every HTTP surface (the API, the OAuth endpoints, the console)
 * shares: the running server that jeton serve builds and hands to each
 * request, and the authentication of a request by its Bearer token.
 *
 * jeton.c   struct jeton, reached from a request with jeton_of
 * bearer.c  a request's Bearer token -> principal, and RFC 6750's 401 and
 *           403 answers */
#ifndef JETON_SERVER_H
#define JETON_SERVER_H
#include <stdbool.h>
#include <stdint.h>
#include "auth/auth.h"
#include "http/http.h"

struct keyring;
struct store;
struct throttle;

/* ---- jeton.c ---- */

/* The running server: built once by jeton serve, read-only afterwards. */
struct jeton {
	struct store *store;
	struct auth *auth;
	const char *issuer;          /* public base URL, e.g. http://127.0.0.1:8080 */
	struct throttle *throttle;   /* password guesses */
	struct keyring *keys;        /* JWT signing keys */
	bool user_tokens_jwt;        /* the password grant issues JWTs */
	bool allow_user_credentials; /* client_credentials with a user's email and password */
	int64_t session_idle;        /* seconds a console session lives unused */
	int64_t session_lifetime;    /* seconds a console session lives at most */
};

/* The server a request came to: the http_req's server_ctx, set by
 * http_server_start from its configuration. */
struct jeton *jeton_of(struct http_req *req);

/* ---- bearer.c ---- */

/* Verifies the request's token and that its instance-wide rights include
 * every bit of need (0: any valid token). On failure sets a 401
 * invalid_token reply with a WWW-Authenticate challenge (503 when the
 * store did not answer), or a 403 insufficient_scope one, and returns
 * NULL; on success the caller auth_release()s the result. */
struct principal *bearer_authenticate(struct http_req *req, uint64_t need);
/* Sets a 403 insufficient_scope reply naming the scopes needed. */
void bearer_reply_insufficient_scope(struct http_req *req, uint64_t need);

#endif
