/* SPDX-License-Identifier: MIT */
/* What every HTTP surface (the API, the OAuth endpoints, the console)
 * shares: the running server that jeton serve builds and hands to each
 * request, and the authentication of a request by its Bearer token.
 *
 * jeton.c   struct jeton, reached from a request with jeton_of
 * bearer.c  a request's Bearer token -> principal, and RFC 6750's 401 and
 *           403 answers
 * retention.c  how long what can never be used again is kept, and the
 *           purge that deletes the rest (jeton purge, and in the
 *           background of jeton serve)
 * reset.c   a password reset asked for by the API or the console */
#ifndef JETON_SERVER_H
#define JETON_SERVER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "store/store.h"

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

/* ---- retention.c ---- */

#define RETENTION_DAYS       30  /* --retention: tokens after their expiry or revocation */
#define AUDIT_RETENTION_DAYS 365 /* --audit-retention: audit events; 0 = for ever */

/* How long what is dead is kept, in seconds. */
struct retention {
	int64_t keep;       /* tokens, and used authorization codes, after they expired or were
			     * revoked: the console still shows them meanwhile */
	int64_t audit_keep; /* audit events; 0 = for ever */
};
/* How a purge goes: dry_run counts only; max_batches bounds the
 * transactions per kind (0: until none is left); pause_ms between two;
 * stop (NULL: none) ends it between two. */
struct purge_pace {
	bool dry_run;
	int max_batches;
	int pause_ms;
	const atomic_bool *stop;
};
/* What a purge counts: each enum purge_kind, then login throttling's
 * counters past their window (store_throttle_purge). */
#define RETENTION_THROTTLE PURGE_KINDS
#define RETENTION_KINDS    (PURGE_KINDS + 1)
/* One purge at the current time: each kind, then the space given back.
 * counts: the rows deleted, or dead (dry_run). */
enum jt_status retention_purge(struct store *st, const struct retention *r,
			       const struct purge_pace *pace, int64_t counts[RETENTION_KINDS]);
/* "authorization codes", "OAuth tokens" ..., for messages. */
const char *retention_kind_name(int kind);
/* jeton serve's background purge: a thread that purges a minute after the
 * start, then every 5 minutes (by the clock the tests move), at most
 * 100 000 rows of each kind at a time. retention_stop (NULL is fine)
 * before store_close. */
struct retention_thread;
enum jt_status retention_start(struct store *st, const struct retention *r,
			       struct retention_thread **out);
void retention_stop(struct retention_thread *t);

/* ---- reset.c ---- */

/* A password reset in flight: the caller fills user_id, revoke_tokens and
 * the actor, then runs password_reset_work under http_defer (req->ctx
 * points at this struct, first in the caller's own), and calls
 * password_reset_record in its done handler before answering. */
struct password_reset {
	int64_t user_id;
	bool revoke_tokens;
	int64_t actor_id; /* who resets, for the audit log */
	char actor[LIMIT_EMAIL_BYTES + 1];
	char password[PASSWORD_GENERATED_CHARS + 1]; /* out: the one-time password */
	struct user u;                               /* out: the user, as reset */
	int64_t revoked;                             /* out: tokens revoked */
	enum jt_status status;                       /* out */
};
void password_reset_work(struct http_req *req);
/* Drops cached verifications when tokens were revoked; audits the reset. */
void password_reset_record(struct http_req *req, const struct password_reset *r);

#endif
