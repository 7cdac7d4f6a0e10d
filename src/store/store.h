/* SPDX-License-Identifier: MIT */
/* The store: the one interface through which jeton reads and writes its
 * data. Handlers see verbs (store_pat_insert, store_pat_find_by_hash), never
 * SQL. store_open picks a driver by the location: an SQLite file (one
 * node, embedded) or a PostgreSQL database (several nodes). Each verb is
 * written once (users.c, pats.c, oauth.c, sessions.c, audit.c, keys.c)
 * over the drivers' common interface (driver.h).
 *
 * The contract, the same on both drivers, and tested on both by one suite
 * (tests/unit/test_store.c):
 * - Every function is safe to call from several threads at once.
 * - A write that returned JT_OK is durable: committed, on disk (SQLite:
 *   WAL with synchronous=FULL; PostgreSQL: its COMMIT returned), and seen
 *   by every read that starts after it, on this node and on every other
 *   node of the same database.
 * - Every write goes through the store's one writer: a thread with its own
 *   connection that commits the writes queued since its last commit in one
 *   transaction (group commit). Each verb's writes are atomic: a rotation,
 *   a redemption and its tokens, a refresh and its successors happen
 *   whole or not at all, and a write that fails does not fail the others
 *   of its transaction. No two verbs compete for SQLite's write lock.
 *   One exception: on PostgreSQL store_throttle_update commits on its own,
 *   so that no batch ever holds a throttle counter that another node
 *   waits for.
 * - A write that changes what a node caches (enum store_change) tells
 *   every node sharing the store in its own transaction: they hear it on
 *   commit (store_listen), never for a write rolled back.
 * - The asynchronous verbs (the _async forms, store_pat_touch,
 *   store_audit_insert) return once the write is queued; their done is
 *   called from the writer thread once the write is durable (or failed).
 *   store_close() finishes every queued write before it returns (if a
 *   batch fails while it closes, the writes still queued fail at once).
 * - Failures: JT_ENOTFOUND (no such record), JT_ECONFLICT (a unique value
 *   is taken, or the record is in the wrong state), JT_EINVAL (a value the
 *   store refuses: an unknown role, user or app), JT_ESTORE (the store
 *   failed or cannot be reached; logged). No call waits without bound: a
 *   busy SQLite file is waited for at most LIMIT_STORE_BUSY_MS, a
 *   PostgreSQL reply at most LIMIT_PG_WAIT_MS (a migration or a copy:
 *   LIMIT_PG_MIGRATE_MS), after which the connection is reset and
 *   reconnects by itself.
 * - SQLite on a full disk: reads, and the writes that take access away
 *   (revocations, deletions, disabling a user), still work; every other
 *   write fails with JT_ESTORE at once (store_health says STORE_DISK_FULL).
 *
 * Records are plain structs with fixed-size fields, filled by the callee;
 * lists are arrays the caller frees with store_list_free(). Times are unix
 * seconds, 0 meaning "none" (never expires, never used, not revoked). */
#ifndef JETON_STORE_H
#define JETON_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/limits.h"
#include "util/status.h"

#define STORE_HASH_LEN 32 /* SHA-256 */
#define STORE_ROLE_BYTES 32
#define STORE_REASON_BYTES 32 /* why a token was revoked: "leaked", "bulk" ... */

struct store;

struct user {
	int64_t id;
	char email[LIMIT_EMAIL_BYTES + 1];
	char friendly_name[LIMIT_NAME_BYTES + 1];
	char password_hash[LIMIT_PASSWORD_HASH]; /* argon2id encoded; "" = cannot log in */
	bool admin;      /* instance admin: manage_users, manage_apps */
	bool disabled;   /* every token and session of the user is refused */
	bool password_must_change; /* a one-time password: changed before anything else */
	int64_t created_at;
};

struct space {
	int64_t id;
	char name[LIMIT_NAME_BYTES + 1];
	int64_t created_at;
	char role[STORE_ROLE_BYTES]; /* in lists for one user: that user's role */
};

struct membership {
	int64_t space_id;
	char space_name[LIMIT_NAME_BYTES + 1];
	int64_t user_id;
	char email[LIMIT_EMAIL_BYTES + 1];
	char role[STORE_ROLE_BYTES];
	char permissions[LIMIT_SCOPES_BYTES + 1]; /* the role's scopes, space-separated */
};

struct pat {
	int64_t id;
	int64_t user_id;
	char name[LIMIT_NAME_BYTES + 1];
	uint8_t token_hash[STORE_HASH_LEN];
	char display_prefix[16];
	char scopes[LIMIT_SCOPES_BYTES + 1]; /* space-separated */
	int64_t created_at;
	int64_t expires_at;   /* 0 = never */
	int64_t last_used_at; /* 0 = never used */
	char last_used_ip[LIMIT_IP_BYTES + 1];
	int64_t revoked_at;   /* 0 = not revoked */
	char revoked_reason[STORE_REASON_BYTES]; /* "" = a plain revocation */
	int64_t rotated_at;   /* rotated with an overlap, ending at expires_at; 0 = not */
};

/* An OAuth client. */
struct app {
	int64_t id;
	char client_id[LIMIT_CLIENT_ID_BYTES + 1];
	uint8_t secret_hash[STORE_HASH_LEN];
	bool has_secret;      /* confidential: authenticates with a secret */
	char name[LIMIT_NAME_BYTES + 1];
	char redirect_uris[LIMIT_REDIRECT_URIS_BYTES + 1]; /* newline-separated */
	char grants[96];      /* space-separated grant types */
	char scopes[LIMIT_SCOPES_BYTES + 1];
	bool public_client;   /* no secret; must use PKCE */
	int64_t access_ttl;   /* seconds */
	int64_t refresh_ttl;  /* seconds */
	bool rotate_refresh;  /* issue a new refresh token on each refresh */
	char token_format[16];
	bool allow_pkce_plain; /* may use PKCE plain; others must use S256 */
	bool introspect;      /* a resource server: may introspect others' tokens */
	int64_t refresh_grace; /* seconds a rotated refresh token gets its successor again */
	int64_t owner_id;     /* 0 = none */
	int64_t created_at;
	int64_t secret_rotated_at; /* 0 = never */
};

/* A pending authorization code. */
struct auth_code {
	uint8_t hash[STORE_HASH_LEN];
	int64_t app_id;
	int64_t user_id;
	int64_t space_id;
	char redirect_uri[LIMIT_URI_BYTES + 1];
	bool redirect_given;  /* the authorization request named redirect_uri */
	char scopes[LIMIT_SCOPES_BYTES + 1];
	char challenge[LIMIT_PKCE_MAX + 1]; /* "" = no PKCE */
	char challenge_method[8];           /* S256 or plain */
	int64_t family_id;    /* every token issued from this code carries it */
	int64_t created_at;
	int64_t expires_at;
	int64_t used_at;      /* 0 = not used */
};

/* An OAuth access, refresh or client-credentials token. */
struct oauth_token {
	int64_t id;
	uint8_t hash[STORE_HASH_LEN];
	char kind[8];         /* "access", "refresh" or "client" */
	int64_t app_id;       /* 0 = a user's own password grant */
	int64_t user_id;      /* 0 = client credentials: the app itself */
	int64_t space_id;     /* 0 = none */
	int64_t family_id;    /* the grant it came from; 0 = none */
	char scopes[LIMIT_SCOPES_BYTES + 1];
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at;
	int64_t rotated_at;   /* refresh tokens: replaced by a newer one */
	int64_t last_used_at; /* 0 = never used (access tokens; at most once a minute) */
	char last_used_ip[LIMIT_IP_BYTES + 1];
	char revoked_reason[STORE_REASON_BYTES]; /* "" = a plain revocation */
	char jti[LIMIT_JTI_CHARS + 1]; /* a JWT's jti; "" = an opaque token */
};

/* The instance's token policy: one record, one field per rule (0 or
 * false = no rule); a new rule is one more field and column. */
struct policy {
	int64_t pat_max_lifetime; /* seconds a PAT may live at most; 0 = no limit */
	bool pat_require_expiry;  /* a PAT must have an expiry */
	char require_2fa[8];      /* two-factor sign-in for "" nobody, "admins" or "all" */
	int64_t updated_at;       /* 0 = never set */
};

/* A token of any kind in the admins' inventory (store_inventory_list):
 * a PAT or an OAuth token, with its owner, never its secret or hash. */
struct inventory_item {
	char kind[8];         /* "pat", "access", "refresh" or "client" */
	int64_t id;           /* pats.id or oauth_tokens.id */
	int64_t user_id;      /* 0 = none (client credentials) */
	char email[LIMIT_EMAIL_BYTES + 1];
	int64_t app_id;       /* 0 = none (a PAT, a user's own password grant) */
	char app_name[LIMIT_NAME_BYTES + 1];
	char client_id[LIMIT_CLIENT_ID_BYTES + 1];
	char token_format[16]; /* the app's: "jwt" marks its access tokens issued before
				* jeton kept jtis as JWTs */
	char jti[LIMIT_JTI_CHARS + 1]; /* a JWT's jti; "" = an opaque token or a PAT */
	int64_t space_id;     /* 0 = none */
	char name[LIMIT_NAME_BYTES + 1]; /* PATs */
	char scopes[LIMIT_SCOPES_BYTES + 1];
	int64_t created_at;
	int64_t expires_at;   /* 0 = never */
	int64_t last_used_at; /* 0 = never */
	char last_used_ip[LIMIT_IP_BYTES + 1];
	int64_t revoked_at;
	char revoked_reason[STORE_REASON_BYTES];
	int64_t rotated_at;
};

/* Which tokens of the inventory: zero and "" match all. */
struct inventory_filter {
	int64_t user_id;
	int64_t app_id;       /* set: only OAuth tokens of that app */
	char kind[8];         /* pat, access, refresh, client */
	char status[8];       /* active, expired, revoked, rotated (as of now) */
	int64_t now;
	int64_t unused_since; /* neither used nor created since then */
	int64_t expires_by;   /* expires after now and by then */
	int64_t created_before;
	int64_t id;           /* one token (with kind); -1 = none */
};

/* Where a page of the inventory starts: after (created_at, kind, id),
 * newest first; created_at 0 starts at the newest. */
struct inventory_cursor {
	int64_t created_at;
	char kind[8];
	int64_t id;
};

/* A logged-in browser. */
#define STORE_USER_AGENT_BYTES 128 /* what is kept of its User-Agent */
struct session {
	uint8_t hash[STORE_HASH_LEN];
	int64_t user_id;
	int64_t created_at;
	int64_t expires_at;   /* its end: the idle timeout from its last use, at most its lifetime */
	char ip[LIMIT_IP_BYTES + 1];
	int64_t last_seen_at; /* written at most once a minute */
	char user_agent[STORE_USER_AGENT_BYTES];
	bool pending;         /* the password was right, the second factor not yet given */
};

/* A rotated refresh token's successor, sealed by the caller with a key
 * derived from the rotated token, until the end of its grace window. */
#define STORE_SUCCESSOR_SEALED_BYTES (LIMIT_JWT_BYTES + 256)
struct refresh_successor {
	int64_t token_id; /* the rotated refresh token */
	uint8_t sealed[STORE_SUCCESSOR_SEALED_BYTES];
	size_t sealed_len;
	int64_t expires_at;
};

/* A device's pending sign-in (RFC 8628), by the SHA-256 of its codes. */
struct device_auth {
	uint8_t device_hash[STORE_HASH_LEN];
	uint8_t user_code_hash[STORE_HASH_LEN];
	int64_t app_id;
	char scopes[LIMIT_SCOPES_BYTES + 1];
	int64_t family_id;
	int64_t created_at;
	int64_t expires_at;
	int64_t poll_interval; /* seconds */
	int64_t polled_at;     /* 0 = never */
	char decision[8];      /* "", "allowed" or "denied" */
	int64_t user_id;       /* who decided; 0 = nobody yet */
	int64_t space_id;
	int64_t used_at;       /* 0 = no token issued yet */
};

/* What a device's poll found (store_device_poll). */
enum device_poll {
	DEVICE_PENDING,
	DEVICE_SLOW_DOWN, /* polled faster than its interval, which grew */
	DEVICE_DENIED,
	DEVICE_EXPIRED,
	DEVICE_ISSUED,    /* the tokens were stored */
	DEVICE_USED,      /* its tokens were issued already */
};

/* A user's authenticator app (TOTP, RFC 6238). */
#define STORE_TOTP_SEALED_BYTES 128
struct totp {
	int64_t user_id;
	uint8_t sealed[STORE_TOTP_SEALED_BYTES]; /* the secret, sealed with the KEK */
	size_t sealed_len;
	bool enabled;      /* false: enrolment not yet confirmed by a code */
	int64_t last_step; /* the last time step accepted: each code is accepted once */
	int64_t created_at;
};

/* A recovery code of a user's second factor, by its SHA-256. */
#define STORE_RECOVERY_CODES 10
struct recovery_code {
	uint8_t hash[STORE_HASH_LEN];
	int64_t user_id;
	int64_t used_at; /* 0 = not used */
};

/* An entry of the audit log. */
struct audit_event {
	int64_t id;
	int64_t at;
	int64_t actor_id;     /* 0 = none */
	char actor[LIMIT_EMAIL_BYTES + 1];
	char action[48];
	char target[LIMIT_NAME_BYTES + 64];
	char ip[LIMIT_IP_BYTES + 1];
	bool success;
};

/* Which audit events to list; empty strings and zero times match all. */
struct audit_filter {
	char actor[LIMIT_EMAIL_BYTES + 1];
	char action[48];
	int64_t since;  /* at >= since */
	int64_t until;  /* at < until */
};

/* A JWT signing key. */
struct signing_key {
	char kid[33];
	char alg[8];                 /* EdDSA, ES256 or RS256 */
	uint8_t sealed[4096];        /* the private key, sealed (nonce + secretbox) */
	size_t sealed_len;
	char public_jwk[2048];       /* JSON */
	int64_t created_at;
	int64_t retired_at;          /* 0 = signs now */
	int64_t unpublish_at;        /* 0 = published */
};

/* A secret scanner whose signed leak reports are accepted. */
#define STORE_SCANNER_KEY_ID_BYTES 128
#define STORE_SCANNER_PEM_BYTES    1024 /* an ECDSA P-256 public key is ~180 */
struct scanner {
	char name[LIMIT_NAME_BYTES + 1];
	char key_id[STORE_SCANNER_KEY_ID_BYTES + 1];
	char public_key[STORE_SCANNER_PEM_BYTES + 1]; /* PEM */
	int64_t created_at;
};

/* A token revoked because it leaked: where it was found and who said so. */
struct token_leak {
	uint8_t token_hash[STORE_HASH_LEN];
	char kind[8];         /* "pat", "access", "refresh", "client" or "secret" */
	int64_t token_id;     /* pats.id, oauth_tokens.id or, for a secret, apps.id */
	int64_t user_id;      /* its owner (a secret: the app's); 0 = none */
	char url[LIMIT_URI_BYTES + 1];
	char source[64];
	char reporter[LIMIT_NAME_BYTES + 1];
	int64_t reported_at;
};

/* A page of a list, newest first: before = 0 starts at the newest. */
struct store_page {
	int64_t before; /* only ids below this one */
	int limit;      /* 1..LIMIT_PAGE_MAX */
};

/* Writes location into out with any password replaced by "***", for logs
 * and messages. */
void store_location_redacted(const char *location, char *out, size_t out_len);

/* True if location names a PostgreSQL database (a postgres:// URI or a
 * libpq connection string) rather than an SQLite file. */
bool store_is_postgres(const char *location);

/* Opens (creating if absent) the store at location: a file path for
 * SQLite, a postgres:// URI or libpq connection string for PostgreSQL.
 * Does not migrate. threads: how many threads will call in at once, to
 * size connection pools. */
enum jt_status store_open(const char *location, int threads, struct store **out);
void store_close(struct store *st); /* NULL is fine */

/* Applies every migration the binary knows that the store lacks. JT_ECONFLICT
 * if the store's schema is newer than this binary's. */
enum jt_status store_migrate(struct store *st);
/* version: the store's schema version; known: the newest this binary has. */
enum jt_status store_schema_version(struct store *st, int *version, int *known);
/* JT_OK if the store answers. */
enum jt_status store_ping(struct store *st);
/* The writer's committed batches, for /metrics: how many writes each held
 * and how long each took, from its first statement to its commit (in
 * microseconds). Both NULL when the store has no writer. */
struct histogram;
void store_write_stats(struct store *st, const struct histogram **sizes,
		       const struct histogram **latency_us);
/* For a store several nodes share: the time from another node's commit to
 * this node hearing of it (store_listen), in microseconds, by the two
 * nodes' wall clocks. NULL when nothing is heard. */
const struct histogram *store_listen_lag(struct store *st);

/* Whether the store answers and takes writes, for /healthz. */
enum store_health {
	STORE_HEALTHY,      /* reads and writes work */
	STORE_DISK_FULL,    /* SQLite: its disk is full; reads and the writes that take access
			     * away (revocations, deletions) work, every other write is refused */
	STORE_NOT_WRITABLE, /* reads work; the last write failed */
	STORE_UNAVAILABLE,  /* the store does not answer */
};
enum store_health store_health(struct store *st);

/* What several nodes sharing a store (PostgreSQL) tell each other, so that
 * what each caches follows what any of them (or the CLI) changes. The
 * writes that change it say so in their own transaction, once per batch
 * and kind, and the others hear it when, and only if, it commits. */
enum store_change {
	STORE_CHANGED_ACCESS = 1u << 0, /* what a verification holds: a token revoked or
					 * rotated, a user changed or disabled, a role
					 * given or taken, an app changed, deleted or given
					 * a new secret */
	STORE_CHANGED_KEYS = 1u << 1,   /* the signing keys: a new one, retirements */
	STORE_CHANGED_ALL = STORE_CHANGED_ACCESS | STORE_CHANGED_KEYS,
};
typedef void (*store_changed)(void *arg, unsigned kinds);
struct store_listener;
/* Calls changed(arg, kinds) from a thread of its own as soon as any node
 * commits a change of those kinds, this one included (its own changes it
 * sees at once anyway). On PostgreSQL a connection of its own, outside
 * the pool, LISTENs (application_name jeton-listen); when it is lost it
 * reconnects by itself, and each time it (re)connects it calls
 * changed(arg, STORE_CHANGED_ALL), since what was committed while it was
 * away went unheard. On SQLite, one node: *out = NULL, nothing to hear. */
enum jt_status store_listen(struct store *st, store_changed changed, void *arg,
			    struct store_listener **out);
/* Stops it; once this returns, changed is not called any more. Before
 * store_close. NULL is fine. */
void store_listener_stop(struct store_listener *l);

/* True when several nodes may share the store (PostgreSQL): what they
 * count together must be counted in it. */
bool store_is_shared(const struct store *st);

/* A counter of login throttling (auth/throttle.c): the failures of an
 * account, an address or both, in one run. On a shared store it lives in
 * the store, so that the limits do not multiply by the number of nodes.
 * Times are wall-clock milliseconds. */
struct throttle_count {
	int64_t failures;
	int64_t passes;      /* accounts: attempts let past the wait from clean addresses */
	int64_t start_ms;    /* the first failure counted: identifies the run; 0 = none */
	int64_t last_ms;     /* the last failure counted */
	int64_t reported_ms; /* pairs: when a refusal was last reported; 0 = never */
	int64_t until_ms;    /* after this it counts nothing (store_throttle_purge) */
};
#define STORE_THROTTLE_KEYS 4 /* counters one update holds at most */
/* Changes the n counters of an update; true if it changed any. */
typedef bool (*store_throttle_change)(void *arg, struct throttle_count *counts, size_t n);
/* Atomically for every node sharing the store: reads the counters of keys
 * (n distinct hashes of what they count, never the values themselves, so
 * no email or address is stored; a counter never written reads as zeros),
 * calls change, and if it returns true writes them back before any other
 * update of them may read them. change may be called again (the writer
 * retries a batch), each time with what is stored. On PostgreSQL a short
 * transaction of its own on a pooled connection, locking the counters in
 * the order of their keys; on SQLite through the writer. JT_ESTORE: none
 * was written. */
enum jt_status store_throttle_update(struct store *st, const uint8_t (*keys)[STORE_HASH_LEN],
				     size_t n, store_throttle_change change, void *arg);
/* Deletes at most limit counters whose until_ms <= now_ms (PostgreSQL:
 * skipping those an update holds), in one transaction of the writer;
 * *deleted: how many. dead counts them. */
enum jt_status store_throttle_purge(struct store *st, int64_t now_ms, int64_t limit,
				    int64_t *deleted);
enum jt_status store_throttle_dead(struct store *st, int64_t now_ms, int64_t *n);

/* Users. insert fills id, and created_at when 0; JT_ECONFLICT if the email
 * is taken. */
enum jt_status store_user_insert(struct store *st, struct user *u);
enum jt_status store_user_get(struct store *st, int64_t id, struct user *out);
enum jt_status store_user_find_by_email(struct store *st, const char *email, struct user *out);
enum jt_status store_user_count(struct store *st, int64_t *count);
enum jt_status store_user_list(struct store *st, const struct store_page *page,
			       struct user **items, size_t *n);
/* Writes friendly_name, password_hash, admin and disabled of u (by u->id). */
enum jt_status store_user_update(struct store *st, const struct user *u);

/* Spaces. insert fills id, and created_at when 0; JT_ECONFLICT if the name
 * is taken. */
enum jt_status store_space_insert(struct store *st, struct space *s);
enum jt_status store_space_get(struct store *st, int64_t id, struct space *out);
enum jt_status store_space_find_by_name(struct store *st, const char *name, struct space *out);
/* The spaces user_id is a member of, or every space (members_only false),
 * each with user_id's role in it ("" for none). */
enum jt_status store_space_list(struct store *st, int64_t user_id, bool members_only,
				struct space **items, size_t *n);

/* Memberships. put adds or changes a role (JT_EINVAL for an unknown role). */
enum jt_status store_member_put(struct store *st, int64_t space_id, int64_t user_id,
				const char *role);
enum jt_status store_member_delete(struct store *st, int64_t space_id, int64_t user_id);
enum jt_status store_member_list(struct store *st, int64_t space_id, struct membership **items,
				 size_t *n);
/* The user's memberships with each role's permissions, at most
 * LIMIT_SPACES_PER_USER. */
enum jt_status store_memberships_of_user(struct store *st, int64_t user_id,
					 struct membership **items, size_t *n);

/* Personal access tokens. insert fills id; JT_ECONFLICT on a hash collision. */
enum jt_status store_pat_insert(struct store *st, struct pat *p);
/* One of the user's tokens; JT_ENOTFOUND if it is another user's. In get,
 * revoke and rotate, user_id 0 means any user (the operator's CLI). */
enum jt_status store_pat_get(struct store *st, int64_t user_id, int64_t id, struct pat *out);
enum jt_status store_pat_list(struct store *st, int64_t user_id, const struct store_page *page,
			      struct pat **items, size_t *n);
enum jt_status store_pat_find_by_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				      struct pat *out);
/* Sets revoked_at = now unless already set; fills out with the result. */
enum jt_status store_pat_revoke(struct store *st, int64_t user_id, int64_t id, int64_t now,
				struct pat *out);
/* In one transaction: retires old_id (which must be the user's, active,
 * not rotated already and unexpired at `now`, else JT_ECONFLICT) and
 * inserts fresh (id filled). old_until 0: old_id is revoked now; else it is
 * marked rotated and expires at old_until (an overlap). */
enum jt_status store_pat_rotate(struct store *st, int64_t user_id, int64_t old_id, int64_t now,
				int64_t old_until, struct pat *fresh);
/* Records a use, asynchronously: returns once the write is queued (a lost
 * last-use time is harmless; a request must not wait for it). Callers
 * coalesce: at most once a minute per token. */
enum jt_status store_pat_touch(struct store *st, int64_t id, int64_t now, const char *ip);

/* Apps. insert fills id. JT_ECONFLICT if the client_id is taken. */
enum jt_status store_app_insert(struct store *st, struct app *a);
enum jt_status store_app_get(struct store *st, int64_t id, struct app *out);
enum jt_status store_app_find_by_client_id(struct store *st, const char *client_id,
					   struct app *out);
enum jt_status store_app_list(struct store *st, const struct store_page *page, struct app **items,
			      size_t *n);
/* Writes every field but id, client_id, secret and created_at. */
enum jt_status store_app_update(struct store *st, const struct app *a);
/* Deletes the app and, with it, its codes and tokens. */
enum jt_status store_app_delete(struct store *st, int64_t id);
enum jt_status store_app_set_secret(struct store *st, int64_t id,
				    const uint8_t hash[STORE_HASH_LEN], int64_t now);

/* Authorization codes. */
enum jt_status store_code_insert(struct store *st, const struct auth_code *code);
/* The code as stored, used or not; JT_ENOTFOUND when there is none. */
enum jt_status store_code_get(struct store *st, const uint8_t hash[STORE_HASH_LEN],
			      struct auth_code *out);
/* Redeems a code in one transaction: marks it used and inserts the n
 * tokens issued from it (ids filled). When it was already used, a replay,
 * inserts nothing, revokes every token of the code's family in that same
 * transaction and returns JT_ECONFLICT: of concurrent redemptions one wins,
 * and the tokens it got are revoked by whichever replay comes after,
 * whatever the interleaving. JT_ENOTFOUND when the code is gone. */
enum jt_status store_code_redeem(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				 int64_t now, struct oauth_token *tokens, size_t n);

/* OAuth tokens. insert stores n tokens in one transaction (ids filled). */
enum jt_status store_oauth_insert(struct store *st, struct oauth_token *tokens, size_t n);
enum jt_status store_oauth_find_by_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					struct oauth_token *out);
/* The JWT access token whose jti is jti; JT_ENOTFOUND if none. */
enum jt_status store_oauth_find_by_jti(struct store *st, const char *jti, struct oauth_token *out);
enum jt_status store_oauth_revoke(struct store *st, int64_t id, int64_t now);
/* Revokes every token of a grant: code replay, refresh-token reuse. */
enum jt_status store_oauth_revoke_family(struct store *st, int64_t family_id, int64_t now);
/* In one transaction: marks refresh token old_id rotated (JT_ECONFLICT if it
 * already was, or is revoked) and inserts the n new tokens. With
 * keep_old, old_id is left usable and only the new tokens are inserted.
 * With a successor (not NULL, and not keep_old), that transaction also
 * keeps it for old_id, and deletes the successors whose window has ended. */
enum jt_status store_oauth_refresh(struct store *st, int64_t old_id, bool keep_old, int64_t now,
				   struct oauth_token *tokens, size_t n,
				   const struct refresh_successor *successor);
/* The successor kept for refresh token token_id whose window has not
 * ended at now; JT_ENOTFOUND if none. */
enum jt_status store_refresh_successor_get(struct store *st, int64_t token_id, int64_t now,
					   struct refresh_successor *out);
/* Deletes refresh token token_id's successor (its window ended). */
enum jt_status store_refresh_successor_delete(struct store *st, int64_t token_id);
/* Deletes the refresh successors whose window ended by now and the device
 * codes expired a day before now, a bounded number per transaction (the
 * background purge; refreshes and new device codes delete some too). */
enum jt_status store_sweep_ended(struct store *st, int64_t now);

/* The device authorization grant. insert also deletes a bounded number of
 * codes expired a day ago or more. */
enum jt_status store_device_insert(struct store *st, const struct device_auth *d);
enum jt_status store_device_by_user_code(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					 struct device_auth *out);
enum jt_status store_device_by_device_code(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					   struct device_auth *out);
/* Records the user's decision ("allowed" with user, space and scopes, or
 * "denied") on a code still undecided and unexpired at now; JT_ECONFLICT
 * otherwise. */
enum jt_status store_device_decide(struct store *st, const struct device_auth *d, int64_t now);
/* A device's poll at now, in one transaction: counts it (a poll sooner
 * than the interval after the last one is DEVICE_SLOW_DOWN and grows the
 * interval by 5 s), then says where the sign-in stands; an allowed one
 * is used up and the n tokens (prepared by the caller, NULL if none yet)
 * are stored with it: DEVICE_ISSUED once, DEVICE_USED afterwards. */
enum jt_status store_device_poll(struct store *st, const uint8_t hash[STORE_HASH_LEN], int64_t now,
				 struct oauth_token *tokens, size_t n, enum device_poll *out);

/* Records an OAuth token's use, asynchronously, as store_pat_touch. */
enum jt_status store_oauth_touch(struct store *st, int64_t id, int64_t now, const char *ip);
/* The user's unrevoked tokens issued to apps (not its own password grants),
 * ordered by app, space and id; at most LIMIT_GRANT_TOKENS. */
enum jt_status store_oauth_list_user_grants(struct store *st, int64_t user_id,
					    struct oauth_token **items, size_t *n);
/* Revokes, in one transaction, every token user_id's grant to app_id holds
 * (in space_id; 0: in every space) and spends the grant's unused
 * authorization codes; *revoked: how many tokens were live (unrevoked).
 * JT_ENOTFOUND when the grant holds no unrevoked token. */
enum jt_status store_oauth_revoke_grant(struct store *st, int64_t user_id, int64_t app_id,
					int64_t space_id, int64_t now, int64_t *revoked);

/* The inventory: every token of every kind matching f, newest first (by
 * creation, kind and id), at most limit (1..LIMIT_PAGE_MAX) from after. */
enum jt_status store_inventory_list(struct store *st, const struct inventory_filter *f,
				    const struct inventory_cursor *after, int limit,
				    struct inventory_item **items, size_t *n);
/* Revokes, in one transaction, every unrevoked token matching f, with
 * reason; *count: how many. With dry_run it only counts them. */
enum jt_status store_inventory_revoke(struct store *st, const struct inventory_filter *f,
				      bool dry_run, const char *reason, int64_t *count);

/* The instance's policy; put writes every field (updated_at included). */
enum jt_status store_policy_get(struct store *st, struct policy *out);
enum jt_status store_policy_put(struct store *st, const struct policy *p);

/* Asynchronous forms of the writes of the hot paths: the request is
 * suspended rather than a serving thread blocked. done(arg, status) is
 * called from the writer thread once the write is durable, with the
 * meaning of the synchronous form's result. The memory p and tokens point
 * to must live until then. When these return an error, done is not
 * called. */
typedef void (*store_done)(void *arg, enum jt_status status);
enum jt_status store_oauth_insert_async(struct store *st, struct oauth_token *tokens, size_t n,
					store_done done, void *arg);
enum jt_status store_pat_insert_async(struct store *st, struct pat *p, store_done done,
				      void *arg);
enum jt_status store_code_redeem_async(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				       int64_t now, struct oauth_token *tokens, size_t n,
				       store_done done, void *arg);

/* The audit log. insert is asynchronous like store_pat_touch: it joins the
 * next group commit (milliseconds) and never makes a request wait. */
enum jt_status store_audit_insert(struct store *st, const struct audit_event *e);
enum jt_status store_audit_list(struct store *st, const struct audit_filter *f,
				const struct store_page *page, struct audit_event **items,
				size_t *n);

/* Signing keys. list returns every key not yet unpublished at now, newest
 * first. retire sets retired_at and unpublish_at of every other key that
 * still signs. */
enum jt_status store_key_insert(struct store *st, const struct signing_key *k);
enum jt_status store_key_list(struct store *st, int64_t now, struct signing_key **items,
			      size_t *n);
enum jt_status store_key_retire_others(struct store *st, const char *kid, int64_t now,
				       int64_t unpublish_at);

/* Sessions. */
enum jt_status store_session_insert(struct store *st, const struct session *s);
enum jt_status store_session_find(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				  struct session *out);
enum jt_status store_session_delete(struct store *st, const uint8_t hash[STORE_HASH_LEN]);
/* Deletes every session of the user but keep (NULL: every one), as a
 * password change does. */
enum jt_status store_session_delete_user(struct store *st, int64_t user_id,
					 const uint8_t keep[STORE_HASH_LEN]);
/* The user's sessions, newest first, at most LIMIT_PAGE_MAX. */
enum jt_status store_session_list_user(struct store *st, int64_t user_id, struct session **items,
				       size_t *n);
/* Ends one of the user's sessions; JT_ENOTFOUND if it is not theirs. */
enum jt_status store_session_delete_own(struct store *st, int64_t user_id,
					const uint8_t hash[STORE_HASH_LEN]);
/* Records a session's use at now, and its new end (the idle timeout moves
 * it), asynchronously, as store_pat_touch. */
enum jt_status store_session_touch(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				   int64_t now, int64_t expires_at);

/* Two-factor sign-in. get: JT_ENOTFOUND when the user has none. put
 * starts an enrolment (the secret not enabled), replacing one not yet
 * confirmed; JT_ECONFLICT when one is enabled. enable confirms it and
 * stores its recovery codes (hashes), in one transaction; JT_ECONFLICT
 * unless an enrolment is pending. use_step accepts time step `step` once:
 * JT_ECONFLICT when it is not later than the last accepted (a replay, or
 * a concurrent use of the same code). delete removes the authenticator
 * and its recovery codes. use_recovery spends one unused recovery code of
 * the user; JT_ENOTFOUND otherwise. recovery_replace puts a new set of
 * recovery codes (hashes) in place of all the user's old ones, in one
 * transaction; JT_ENOTFOUND unless the user's authenticator is enabled.
 * recovery_unused: how many of the user's recovery codes are unused. */
enum jt_status store_totp_get(struct store *st, int64_t user_id, struct totp *out);
enum jt_status store_totp_put(struct store *st, const struct totp *t);
enum jt_status store_totp_enable(struct store *st, int64_t user_id, int64_t step,
				 const uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN]);
enum jt_status store_totp_use_step(struct store *st, int64_t user_id, int64_t step);
/* Removes the user's authenticator and recovery codes and, with
 * end_sessions, signs out every session of theirs, in one transaction. */
enum jt_status store_totp_delete(struct store *st, int64_t user_id, bool end_sessions);
enum jt_status store_recovery_use(struct store *st, int64_t user_id,
				  const uint8_t hash[STORE_HASH_LEN], int64_t now);
enum jt_status store_recovery_replace(struct store *st, int64_t user_id,
				      const uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN]);
enum jt_status store_recovery_unused(struct store *st, int64_t user_id, int64_t *n);

/* Revokes, in one transaction, every unrevoked PAT and OAuth token of the
 * user (reason: why, as revoked_reason); *revoked: how many. */
enum jt_status store_user_revoke_tokens(struct store *st, int64_t user_id, int64_t now,
					const char *reason, int64_t *revoked);

/* Scanners. insert: JT_ECONFLICT if the name or key id is taken; delete:
 * JT_ENOTFOUND if there is no such name. */
enum jt_status store_scanner_insert(struct store *st, const struct scanner *s);
enum jt_status store_scanner_find_by_key_id(struct store *st, const char *key_id,
					    struct scanner *out);
enum jt_status store_scanner_list(struct store *st, struct scanner **items, size_t *n);
enum jt_status store_scanner_delete(struct store *st, const char *name);

/* Leaked tokens. In one transaction, unless a leak is recorded for that
 * token already (then nothing changes, *recorded = false, so a replayed
 * report changes nothing): records the leak, revokes the token it names
 * (by kind and id, with the reason "leaked"; already revoked stays as it
 * was) and every token of family_id (a leaked refresh token's grant; 0 =
 * none). A client secret (kind "secret", token_id the app's id) is replaced
 * by one nobody holds, if it is still the app's, and the app's
 * client-credentials tokens revoked. */
enum jt_status store_leak_revoke(struct store *st, const struct token_leak *leak,
				 int64_t family_id, bool *recorded);
/* The leak recorded for a token; JT_ENOTFOUND when none is. */
enum jt_status store_leak_get(struct store *st, const uint8_t token_hash[STORE_HASH_LEN],
			      struct token_leak *out);
/* The app whose client secret hashes to secret_hash. */
enum jt_status store_leak_app_by_secret(struct store *st, const uint8_t secret_hash[STORE_HASH_LEN],
					struct app *out);
/* The leaks of the user's tokens, newest first, at most LIMIT_PAGE_MAX *
 * 10. */
enum jt_status store_leak_list_user(struct store *st, int64_t user_id, struct token_leak **items,
				    size_t *n);

/* Retention: deleting what can never be used again (purge.c), in small
 * transactions of the writer, so that issuance and verification go on.
 * The kinds, and what is dead at a cutoff (unix seconds):
 * - PURGE_CODES: authorization codes unused past their expiry, and used
 *   ones that expired before the cutoff (until then a replay still
 *   revokes the tokens the code yielded);
 * - PURGE_SESSIONS: console sessions past their expiry;
 * - PURGE_PATS, PURGE_TOKENS: personal and OAuth tokens (refresh families
 *   token by token) revoked or expired before the cutoff;
 * - PURGE_AUDIT: audit events older than the cutoff. */
enum purge_kind {
	PURGE_CODES,
	PURGE_SESSIONS,
	PURGE_PATS,
	PURGE_TOKENS,
	PURGE_AUDIT,
	PURGE_KINDS
};
/* How many rows of kind are dead at cutoff, now being now. */
enum jt_status store_purge_count(struct store *st, enum purge_kind kind, int64_t cutoff,
				 int64_t now, int64_t *n);
/* Deletes at most limit (1 to LIMIT_PURGE_BATCH) of them in one
 * transaction; *n: how many. Runs on SQLite's full disk too. */
enum jt_status store_purge(struct store *st, enum purge_kind kind, int64_t cutoff, int64_t now,
			   int limit, int64_t *n);
/* Gives the space purges freed back to the file system, a bounded part
 * per call; *more: call again. SQLite: incremental vacuum (jeton switches
 * a store to it once, when it migrates it); PostgreSQL: nothing to do, its
 * autovacuum reuses the space. */
enum jt_status store_reclaim(struct store *st, bool *more);

/* Copying a whole store to another (jeton store copy): every row of every
 * table, ids kept, so tokens keep working unchanged. The target must be
 * migrated and empty. */
enum jt_status store_copy(struct store *from, struct store *to, void (*progress)(const char *table,
										  int64_t rows));

/* Frees a list returned above. NULL is fine. store_close() finishes every
 * queued asynchronous write before it returns. */
void store_list_free(void *items);

#endif
