/* SPDX-License-Identifier: MIT */
/* Who is calling, and what they may do.
 *
 * header.c     the Authorization header: "Bearer <token>" or "<token>"
 * verify.c     the hot path: token -> principal, through a bounded in-memory
 *              cache keyed by the token's SHA-256. Entries live at most
 *              LIMIT_CACHE_TTL_MS, so changes made by another process (the
 *              CLI, another node) show within that time (on PostgreSQL within
 *              milliseconds: jeton serve calls auth_invalidate() when the
 *              store tells of them); changes made through this process call
 *              auth_invalidate() and show at once. Last-use
 *              times are written at most once a minute per token.
 * rights.c     what users and tokens hold: permissions, rights, shared spaces
 * authority.c  who may hand rights on: minting tokens, admins, apps
 * pat.c        issuing and rotating personal access tokens
 * password.c   checking a user's password
 * throttle.c   limits on password guesses per account and per address. */
#ifndef JETON_AUTH_H
#define JETON_AUTH_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto.h"
#include "store/store.h"
#include "token/token.h"

/* Why a token was refused, or AUTH_OK. */
enum auth_result {
	AUTH_OK = 0,
	AUTH_MISSING,   /* no Authorization header */
	AUTH_SCHEME,    /* a scheme other than Bearer */
	AUTH_MALFORMED, /* not shaped like a jeton token */
	AUTH_CHECKSUM,  /* shaped like one, checksum wrong: a typo or truncation */
	AUTH_UNKNOWN,   /* well-formed but not issued by this jeton */
	AUTH_EXPIRED,
	AUTH_REVOKED,
	AUTH_DISABLED,  /* its user is disabled */
	AUTH_UNAVAILABLE, /* the store did not answer */
};
#define AUTH_RESULTS (AUTH_UNAVAILABLE + 1)

/* One space of a principal: the user's role there. */
struct principal_space {
	int64_t id;
	char name[LIMIT_NAME_BYTES + 1];
	char role[STORE_ROLE_BYTES];
	uint64_t permissions; /* what the role grants, before the token's scopes */
};

/* An answer rendered from a principal alone (GET /v1/me, forward auth
 * without a space, an active introspection), kept with it: each cache
 * entry renders it once, and an entry loaded afresh (after its lifetime or
 * an invalidation) renders it afresh, so it is never staler than the
 * entry. */
enum auth_rendering {
	AUTH_RENDER_ME,
	AUTH_RENDER_VERIFY,
	AUTH_RENDER_INTROSPECT,
	AUTH_RENDERINGS
};

struct auth_rendered; /* a rendering and how to free it */

/* A verified token and its user, shared read-only between requests. */
struct principal {
	uint8_t hash[STORE_HASH_LEN];   /* cache key */
	enum token_kind kind;           /* TOKEN_PAT, TOKEN_ACCESS or TOKEN_CLIENT */
	int64_t token_id;
	char token_name[LIMIT_NAME_BYTES + 1]; /* PATs */
	uint64_t token_scopes;          /* what the token was given */
	int64_t created_at;
	int64_t expires_at;             /* 0 = never */
	int64_t revoked_at;             /* 0 = not revoked */
	int64_t app_id;                 /* OAuth tokens: the app; 0 = none */
	char client_id[LIMIT_CLIENT_ID_BYTES + 1];
	char app_name[LIMIT_NAME_BYTES + 1];
	int64_t space_id;               /* OAuth access tokens: their one space; 0 = all */
	struct user user;               /* user.id 0: a client-credentials token */
	uint64_t user_permissions;      /* instance-wide: manage_tokens and admins';
					 * for an app, its scopes but manage_tokens */
	struct principal_space *spaces;
	size_t nspaces;

	_Atomic(struct auth_rendered *) rendered[AUTH_RENDERINGS]; /* see auth_rendered_get */
	atomic_llong last_used_at;      /* unix seconds, for coalescing writes */
	atomic_int refs;
	uint64_t epoch;                 /* auth epoch it was loaded in */
	int64_t loaded_ms;              /* monotonic time it was loaded */
};

struct auth;

enum jt_status auth_new(struct store *st, struct auth **out);
/* Accepts JWT access tokens signed by keys (may be NULL: opaque only). */
struct keyring;
void auth_set_keyring(struct auth *a, struct keyring *keys);
/* Shaped like a JWT: "eyJ...", two dots, at most LIMIT_JWT_BYTES. */
bool auth_looks_like_jwt(const char *token, size_t token_len);
void auth_free(struct auth *a);

/* Splits an Authorization header value into the token. AUTH_MISSING for
 * NULL or blank, AUTH_SCHEME for another scheme, AUTH_MALFORMED for Bearer
 * followed by several words. A single word (even "Bearer") is taken as a
 * bare token; token_parse() then refuses what is not one. */
enum auth_result auth_parse_header(const char *value, const char **token, size_t *token_len);

/* Verifies a bare token string as auth_verify does, for introspection
 * (no last-use write). */
enum auth_result auth_verify_token(struct auth *a, const char *token, size_t token_len,
				   struct principal **out);

/* Verifies an Authorization header value. On AUTH_OK, *out holds a
 * reference the caller drops with auth_release(). ip is recorded as the
 * token's last-use address. */
enum auth_result auth_verify(struct auth *a, const char *header, const char *ip,
			     struct principal **out);
void auth_release(struct principal *p); /* NULL is fine */

/* p's rendering of kind, or NULL before the first auth_rendered_keep. */
void *auth_rendered_get(const struct principal *p, enum auth_rendering kind);
/* Keeps value as p's rendering of kind, freed by free_fn with p, unless
 * another request kept one first: then value is freed and that one is
 * returned. NULL when out of memory (value freed too). */
void *auth_rendered_keep(struct principal *p, enum auth_rendering kind, void *value,
			 void (*free_fn)(void *value));

/* Authenticated OAuth clients, cached like tokens: key is the SHA-256 of
 * the credentials presented (client_id and secret), so a hit proves the
 * same secret was checked less than LIMIT_CACHE_TTL_MS ago against the app
 * as it was then. get fills out and returns true on a fresh hit. */
bool auth_client_get(struct auth *a, const uint8_t key[STORE_HASH_LEN], struct app *out);
void auth_client_put(struct auth *a, const uint8_t key[STORE_HASH_LEN], const struct app *app);

/* Verification-cache counters since start, for /metrics. */
void auth_cache_stats(struct auth *a, uint64_t *hits, uint64_t *misses);

/* What a verified token claimed to be, by its prefix: no token at all
 * (no header, another scheme), a PAT, an OAuth access token, a
 * client-credentials token, a JWT, or anything else. */
enum auth_verify_kind {
	AUTH_VERIFY_NONE,
	AUTH_VERIFY_PAT,
	AUTH_VERIFY_OAUTH,
	AUTH_VERIFY_CLIENT,
	AUTH_VERIFY_JWT,
	AUTH_VERIFY_OTHER,
	AUTH_VERIFY_KINDS
};
/* auth_verify and auth_verify_token calls since start, by claimed kind
 * and result, for /metrics. */
void auth_verify_stats(struct auth *a, uint64_t out[AUTH_VERIFY_KINDS][AUTH_RESULTS]);

/* What a token given out is, for /metrics. */
enum auth_issued_kind {
	AUTH_ISSUED_PAT,
	AUTH_ISSUED_OAUTH,   /* an opaque OAuth access token for a user */
	AUTH_ISSUED_REFRESH,
	AUTH_ISSUED_CLIENT,  /* an opaque client-credentials token */
	AUTH_ISSUED_JWT,     /* an access token as a JWT, a user's or an app's */
	AUTH_ISSUED_KINDS
};
/* Counts a token given out: call once it is stored and answered. */
void auth_count_issued(struct auth *a, enum auth_issued_kind kind);
/* auth_count_issued calls since start, by kind. */
void auth_issued_stats(struct auth *a, uint64_t out[AUTH_ISSUED_KINDS]);
/* OAuth error answers (RFC 6749 §5.2, RFC 8628 §3.5, RFC 7009), for
 * /metrics: the codes counted, the last one "other" for any else. */
#define AUTH_OAUTH_ERRORS 14
extern const char *const auth_oauth_error_names[AUTH_OAUTH_ERRORS];
void auth_count_oauth_error(struct auth *a, const char *error);
void auth_oauth_error_stats(struct auth *a, uint64_t out[AUTH_OAUTH_ERRORS]);

/* Drops every cached verification: call after any change that can alter a
 * token's validity or rights (revoke, rotate, disable, role change). */
void auth_invalidate(struct auth *a);

/* A sentence for a person on why a token was refused. */
const char *auth_result_description(enum auth_result r);

/* ---- rights.c ---- */

/* The token's rights outside any space: scopes ∩ user permissions. */
uint64_t auth_rights(const struct principal *p);
/* The token's rights in one space (0 if the user is not a member). */
uint64_t auth_rights_in_space(const struct principal *p, int64_t space_id);
/* True when the token may act in the space: its user is a member there and
 * the token is not bound to another space. A space-bound token never
 * passes for another space, whatever its instance-wide rights. */
bool auth_in_space(const struct principal *p, int64_t space_id);

/* What a user holds now: instance-wide permissions, and those plus every
 * space role's. */
enum jt_status auth_user_permissions(struct store *st, const struct user *u, uint64_t *instance,
				     uint64_t *held);
/* A user's instance-wide permissions: manage_tokens, and for an admin
 * manage_users and manage_apps. */
uint64_t auth_instance_permissions(const struct user *u);
/* The permissions an admin account holds instance-wide. */
uint64_t auth_admin_permissions(void);

/* Whether user_id is a member of a space that caller_id is also a member of
 * (only space only_space, when non-zero: a space-bound token's). Someone
 * who is not an instance admin sees and adds only such users. */
enum jt_status auth_users_share_space(struct store *st, int64_t caller_id, int64_t only_space,
				      int64_t user_id, bool *out);

/* ---- authority.c: who may hand on rights ----
 *
 * One rule for every action that yields or widens a secret: creating or
 * rotating a personal access token (a rotation is a creation), creating
 * an admin or changing an admin account, and registering, widening or
 * giving a new secret to an app. The caller must be a person (a
 * personal access token or a console session, never a token issued through
 * /oauth/token), hold every right handed on (its user's permissions ∩ its
 * token's scopes), and, for a token it mints, outlive it. */

/* What a caller may hand on. */
struct authority {
	bool personal;      /* a PAT or a console session */
	uint64_t holds;     /* what it can hand on */
	int64_t expires_at; /* its token's expiry; 0 = never (a console session) */
};

/* Why a caller may not, or AUTHORITY_OK. */
enum authority_refusal {
	AUTHORITY_OK = 0,
	AUTHORITY_NOT_PERSONAL, /* an OAuth or client token */
	AUTHORITY_NOT_HELD,     /* a right the caller does not hold */
	AUTHORITY_OUTLIVES,     /* would outlive the caller's token */
	AUTHORITY_POLICY_NO_EXPIRY, /* the instance's policy wants an expiry */
	AUTHORITY_POLICY_TOO_LONG,  /* ... or a shorter life */
};

/* The authority of a caller with a verified token. */
void authority_of_token(const struct principal *p, struct authority *out);
/* The authority of a console session: its user, holding held. */
void authority_of_session(uint64_t held, struct authority *out);
/* May c mint a personal access token with scopes, expiring at expires_at
 * (0 = never), at now, under the instance's policy pol? Create and rotate
 * both ask. */
enum authority_refusal authority_may_mint_pat(const struct authority *c, const struct policy *pol,
					      uint64_t scopes, int64_t expires_at, int64_t now);
/* The policy's part of that rule, which the operator's CLI asks too: a
 * token minted at now expiring at expires_at must expire when the policy
 * wants one (a maximum lifetime wants one too), and within its maximum
 * lifetime. AUTHORITY_OK, AUTHORITY_POLICY_NO_EXPIRY or
 * AUTHORITY_POLICY_TOO_LONG. */
enum authority_refusal authority_pat_policy(const struct policy *pol, int64_t expires_at,
					    int64_t now);
/* Whether a stored token breaks pol: no expiry where one is wanted, or a
 * life (creation to expiry) beyond the maximum. The inventory flags it. */
bool authority_pat_breaks_policy(const struct policy *pol, int64_t created_at,
				 int64_t expires_at);
/* The sentence that explains a policy refusal r to whoever created (or,
 * rotating, rotated) a token, stating the limit and, at now, the latest
 * expiry allowed. */
void authority_policy_explain(const struct policy *pol, enum authority_refusal r, bool rotating,
			      int64_t now, char *out, size_t out_len);
/* Sets who the policy makes use two-factor sign-in, by name: "none",
 * "admins" or "all" (stored "" for none). False, pol unchanged, for any
 * other name. */
bool authority_policy_set_require_2fa(struct policy *pol, const char *name);
/* The policy as a policy.changed audit event states it, e.g.
 * "pat_max_lifetime=30d pat_require_expiry=true require_2fa=admins". */
#define AUTHORITY_POLICY_TEXT_BUF 96
void authority_policy_describe(const struct policy *pol, char out[AUTHORITY_POLICY_TEXT_BUF]);
/* May c create an admin, make or unmake one, or change an admin account in
 * any way (rename, disable)? Only a person holding every admin permission:
 * an admin's own account is worth every one, so it is handed on only by
 * whoever holds them all. */
enum authority_refusal authority_may_touch_admin(const struct authority *c);
/* May c register an app with scopes, widen an app by scopes, or give an
 * app a new secret (scopes: all the app's)? The app's secret then yields
 * tokens with those scopes (client_credentials) or asks users for them, so
 * the same rule applies to every app, whatever its grant types. An app
 * belongs to no space: a caller holding manage_users, which gives any role
 * in any space, counts as holding every space scope. *missing gets the
 * scopes c cannot hand on. */
enum authority_refusal authority_may_register_app(const struct authority *c, uint64_t scopes,
						  uint64_t *missing);

/* ---- pat.c ---- */

/* Issues a personal access token: generates it, stores its hash, writes
 * the token into token (shown once) and the stored record into out.
 * scopes must already be checked against what the user holds, and the
 * caller's authority with authority_may_mint_pat. */
enum jt_status pat_create(struct store *st, int64_t user_id, const char *name, uint64_t scopes,
			  int64_t expires_at, char token[TOKEN_LEN + 1], struct pat *out);

/* The same, asynchronously: prepares out and token, then queues the
 * insert; done(arg, status) follows the commit (see store_pat_insert_async).
 * out and token must live until then. */
enum jt_status pat_create_async(struct store *st, int64_t user_id, const char *name,
				uint64_t scopes, int64_t expires_at, char token[TOKEN_LEN + 1],
				struct pat *out, store_done done, void *arg);

/* Rotates a personal access token: a new one with the same name, scopes and
 * expiry; the old one revoked in the same transaction, or, with an overlap
 * (seconds, > 0), marked rotated and left working until *old_until: now +
 * overlap, capped at LIMIT_PAT_OVERLAP_MAX and by its own expiry
 * (*old_until 0: revoked now; old_until may be NULL).
 * A rotation yields a secret: ask authority_may_mint_pat with the old
 * token's scopes and expiry first (the operator's CLI excepted). */
enum jt_status pat_rotate(struct store *st, int64_t user_id, int64_t id, int64_t overlap,
			  char token[TOKEN_LEN + 1], struct pat *out, int64_t *old_until);

/* ---- inventory.c: the admins' inventory of every token ---- */

/* The inventory's filters by name, the same in the API's query and body,
 * the CLI's options and the console's form. */
enum inventory_key {
	INV_USER,           /* an email or a user id */
	INV_APP,            /* an app id or client_id */
	INV_KIND,           /* pat, access, refresh, client */
	INV_STATUS,         /* active, expired, revoked, rotated */
	INV_UNUSED_FOR,     /* a duration: neither used nor created within it */
	INV_EXPIRES_WITHIN, /* a duration: expires after now and within it */
	INV_CREATED_BEFORE, /* YYYY-MM-DD or an RFC 3339 time */
	INV_JTI,            /* a JWT's jti: that one token */
	INV_KEYS
};
extern const char *const inventory_keys[INV_KEYS];

/* Reads the filter named by values (NULL or "" = not given) as of now into
 * f. JT_EINVAL with the sentence to show in err; *given: how many filters
 * were given. */
enum jt_status inventory_filter_read(struct store *st, const char *const values[INV_KEYS],
				     int64_t now, struct inventory_filter *f, int *given,
				     char *err, size_t err_len);
/* "unused_for=90d kind=pat" for the audit log ("" without filters). */
void inventory_filter_describe(const char *const values[INV_KEYS], char *out, size_t out_len);
/* A token's status as of now: active, expired, revoked or rotated. */
const char *inventory_status(const struct inventory_item *t, int64_t now);
/* The cursor after t as text ("1764460800.pat.12"), and back. */
void inventory_cursor_format(const struct inventory_item *t, char *out, size_t out_len);
bool inventory_cursor_parse(const char *s, struct inventory_cursor *out);
/* "pat:12", "access:40": one token, and back (false if malformed). */
bool inventory_ref_parse(const char *s, struct inventory_filter *f);

/* ---- throttle.c ---- */

/* ---- grants.c: the apps a user authorized ---- */

/* One app's live grant from a user in one space. */
struct auth_grant {
	int64_t app_id;
	char app_name[LIMIT_NAME_BYTES + 1];
	char client_id[LIMIT_CLIENT_ID_BYTES + 1];
	int64_t space_id;
	char space_name[LIMIT_NAME_BYTES + 1];
	uint64_t scopes;      /* every live token's, together */
	int64_t first_at;     /* its oldest unrevoked token's creation */
	int64_t last_used_at; /* the newest use or issue (a refresh) of its tokens */
	int64_t live_tokens;  /* neither revoked, rotated nor expired at now */
};

/* The grants of user_id that hold a live token at now, by app and space;
 * the caller frees *out with jt_free. */
enum jt_status auth_grants_of_user(struct store *st, int64_t user_id, int64_t now,
				   struct auth_grant **out, size_t *n);

/* Password-guess throttling. Every password check (login, the password
 * form of client_credentials, the Account page) first reserves its attempt
 * with throttle_reserve(), which counts it as a failure at once, so guesses
 * sent in parallel cannot all reach the check; a right password gives its
 * attempt back with throttle_release(). */
struct throttle;
/* On a store several nodes share (store_is_shared), the counters live in
 * st, so that every node counts every node's failures; otherwise (st NULL,
 * or SQLite) in this process's memory. */
enum jt_status throttle_new(struct store *st, struct throttle **out);
void throttle_free(struct throttle *t);

/* One reserved attempt, kept until the password check's outcome. */
struct throttle_ticket {
	bool allowed;           /* the attempt may go on to the password check */
	int retry_after;        /* refused: seconds until an attempt may pass */
	bool report;            /* refused, and the first refusal of this account from
				 * this address in a window: worth an audit event */
	bool clean_pass;        /* let past the account's wait: its address is clean */
	int64_t account_run;    /* the runs of failures the attempt was counted */
	int64_t address_run;    /* in, for throttle_release */
	int64_t pair_run;
};

/* True, and the attempt counted as a failure of account and of ip, when
 * the rules of throttle.c let it through now; false with
 * out->retry_after otherwise (also when the store fails: Retry-After 1).
 * now_ms: time_now_ms(), the wall clock, which the nodes share. */
bool throttle_reserve(struct throttle *t, const char *account, const char *ip, int64_t now_ms,
		      struct throttle_ticket *out);
/* Attempts throttle_reserve refused since start (this node's), for
 * /metrics. */
uint64_t throttle_refused(struct throttle *t);
/* The password was right: takes back the attempt's failure (only that
 * one: earlier failures end with their window). Nothing for a refused
 * ticket. */
void throttle_release(struct throttle *t, const struct throttle_ticket *ticket,
		      const char *account, const char *ip);

/* ---- password.c ---- */

/* Checks a user's password off the serving threads' hot path (the caller
 * runs it under http_defer). Always spends one argon2id verification, even
 * for an unknown or disabled account, so timing does not tell which.
 * JT_OK and *out filled when the email and password match an enabled
 * user; JT_ENOTFOUND otherwise. */
enum jt_status auth_check_password(struct store *st, const char *email, const char *password,
				   struct user *out);

/* ---- totp.c: two-factor sign-in (TOTP, RFC 6238) ---- */

#define TOTP_SECRET_BASE32  32 /* the secret as shown: 160 bits in base32 */
#define RECOVERY_CODE_HEX   20 /* a recovery code: 80 random bits */
#define RECOVERY_CODE_CHARS 23 /* as shown: xxxxx-xxxxx-xxxxx-xxxxx */

/* Whether the policy makes u use two-factor sign-in. */
bool auth_totp_required(const struct policy *p, const struct user *u);
/* The policy makes u use it and u has not enrolled: the console and the
 * consent page send u to enrol before anything else. True also when the
 * store cannot tell: the gate fails shut (the enrolment page then says
 * what failed). */
bool auth_totp_must_enrol(struct store *st, const struct user *u);
/* *enabled: the user signs in with a second factor. */
enum jt_status auth_totp_enabled(struct store *st, int64_t user_id, bool *enabled);
/* Starts an enrolment: a fresh secret, sealed with kr's key-encryption key
 * and stored not yet enabled (replacing an unconfirmed one), written to
 * secret in base32. JT_ECONFLICT when the user has one enabled. */
enum jt_status auth_totp_begin(struct store *st, const struct keyring *kr, int64_t user_id,
			       char secret[TOTP_SECRET_BASE32 + 1]);
/* The secret of the enrolment in progress, in base32 (for its QR code). */
enum jt_status auth_totp_pending(struct store *st, const struct keyring *kr, int64_t user_id,
				 char secret[TOTP_SECRET_BASE32 + 1]);
/* Completes the enrolment when code is the app's current code (one step of
 * skew either way): enables it and writes ten fresh recovery codes to
 * codes, stored as hashes only. JT_ENOTFOUND for a wrong code. */
enum jt_status auth_totp_confirm(struct store *st, const struct keyring *kr, int64_t user_id,
				 const char *code,
				 char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1]);
/* Checks a second factor: a code from the app (accepted once: JT_ECONFLICT
 * for one already used, also by a concurrent request) or an unused
 * recovery code (then spent; *recovery true). JT_ENOTFOUND when wrong or
 * when the user has none. The caller throttles (throttle_reserve). */
enum jt_status auth_second_factor(struct store *st, const struct keyring *kr, int64_t user_id,
				  const char *code, bool *recovery);
/* A new set of ten recovery codes, written to codes, when code is the
 * app's current code (accepted once, as auth_second_factor; a recovery
 * code is not enough): every older recovery code stops working at once.
 * JT_ENOTFOUND for a wrong code or a user without two-factor sign-in,
 * JT_ECONFLICT for a code used already. The caller throttles. */
enum jt_status auth_totp_renew_recovery(struct store *st, const struct keyring *kr,
					int64_t user_id, const char *code,
					char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1]);
/* An admin's reset of a user's second factor (a lost phone), the one
 * mechanism of the CLI, the console and the API: removes the user's
 * authenticator and recovery codes and signs out every session of theirs.
 * The caller audits. */
enum jt_status auth_totp_reset(struct store *st, int64_t user_id);

/* A password reset, the one mechanism of the CLI, the console and the API:
 * gives user_id a fresh generated one-time password (written to password)
 * that must be changed at the next sign-in, signs out every session of
 * the user, and with revoke_tokens revokes every token of theirs
 * (*revoked: how many; tokens stay valid otherwise). Runs argon2id: off
 * the serving threads (http_defer). *out: the user as stored, without its
 * hash. The caller audits, and drops the verification cache when tokens
 * were revoked. */
enum jt_status auth_reset_password(struct store *st, int64_t user_id, bool revoke_tokens,
				   char password[PASSWORD_GENERATED_CHARS + 1], struct user *out,
				   int64_t *revoked);

#endif
