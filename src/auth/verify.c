/* SPDX-License-Identifier: MIT */
/* The verification hot path: header -> token -> SHA-256 -> cached principal.
 *
 * The cache is a direct-mapped table of LIMIT_CACHE_SLOTS principals,
 * indexed by the token hash, guarded by striped mutexes: bounded memory by
 * construction, one short critical section per request. A slot holds a
 * reference-counted principal; readers take a reference and use it after
 * the lock is dropped. An entry is fresh while it is younger than
 * LIMIT_CACHE_TTL_MS and was loaded in the current epoch; auth_invalidate()
 * bumps the epoch, so every entry reloads from the store on next use. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <string.h>

#define CACHE_STRIPES 64 /* mutexes; a slot uses stripe slot % CACHE_STRIPES */
#define CLIENT_SLOTS 64  /* authenticated OAuth clients (a few per deployment) */

struct client_slot {
	uint8_t key[STORE_HASH_LEN];
	uint64_t epoch;      /* 0 = empty */
	int64_t loaded_ms;
	struct app app;
};

_Static_assert((LIMIT_CACHE_SLOTS & (LIMIT_CACHE_SLOTS - 1)) == 0, "slots: power of two");


struct auth {
	struct store *store;
	struct keyring *keys;        /* JWT signing keys; NULL: JWTs are not accepted */
	atomic_ullong epoch;
	/* Cache look-ups, for /metrics: kept a cache line away from the epoch,
	 * so that counting on every request does not evict what every request
	 * reads. (Padding, not _Alignas: the struct comes from malloc.) */
	char pad[64];
	atomic_ullong hits;
	atomic_ullong misses;
	atomic_ullong verified[AUTH_VERIFY_KINDS][AUTH_RESULTS]; /* for /metrics */
	atomic_ullong issued[AUTH_ISSUED_KINDS];                 /* for /metrics */
	atomic_ullong oauth_errors[AUTH_OAUTH_ERRORS];           /* for /metrics */
	pthread_mutex_t stripes[CACHE_STRIPES];
	struct principal *slots[LIMIT_CACHE_SLOTS];
	pthread_mutex_t clients_mu;
	struct client_slot clients[CLIENT_SLOTS];
};

enum jt_status auth_new(struct store *st, struct auth **out)
{
	struct auth *a = jt_calloc(1, sizeof *a);
	*out = NULL;
	if (!a)
		return JT_ENOMEM;
	a->store = st;
	atomic_init(&a->epoch, 1);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&a->stripes[i], NULL);
	pthread_mutex_init(&a->clients_mu, NULL);
	*out = a;
	return JT_OK;
}

struct auth_rendered {
	void *value;
	void (*free_fn)(void *value);
};

static void principal_free(struct principal *p)
{
	for (int i = 0; i < AUTH_RENDERINGS; i++) {
		struct auth_rendered *r = atomic_load(&p->rendered[i]);
		if (r) {
			r->free_fn(r->value);
			jt_free(r);
		}
	}
	jt_free(p->spaces);
	jt_free(p);
}

void auth_release(struct principal *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		principal_free(p);
}

void *auth_rendered_get(const struct principal *p, enum auth_rendering kind)
{
	struct auth_rendered *r = atomic_load_explicit(&p->rendered[kind], memory_order_acquire);
	return r ? r->value : NULL;
}

void *auth_rendered_keep(struct principal *p, enum auth_rendering kind, void *value,
			 void (*free_fn)(void *value))
{
	struct auth_rendered *r = jt_alloc(sizeof *r), *first = NULL;
	if (!r) {
		free_fn(value);
		return NULL;
	}
	r->value = value;
	r->free_fn = free_fn;
	if (atomic_compare_exchange_strong_explicit(&p->rendered[kind], &first, r,
						    memory_order_acq_rel, memory_order_acquire))
		return value;
	free_fn(value); /* another request kept the same rendering first */
	jt_free(r);
	return first->value;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < LIMIT_CACHE_SLOTS; i++)
		auth_release(a->slots[i]);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&a->stripes[i]);
	pthread_mutex_destroy(&a->clients_mu);
	crypto_wipe(a->clients, sizeof a->clients);
	jt_free(a);
}

void auth_invalidate(struct auth *a)
{
	atomic_fetch_add(&a->epoch, 1);
}

static size_t slot_of(const uint8_t hash[STORE_HASH_LEN])
{
	uint64_t v;
	memcpy(&v, hash, sizeof v); /* the hash is uniform: any 8 bytes will do */
	return (size_t)(v & (LIMIT_CACHE_SLOTS - 1));
}

/* A fresh cached principal for hash, with a reference taken, or NULL. */
static struct principal *cache_get(struct auth *a, const uint8_t hash[STORE_HASH_LEN])
{
	size_t slot = slot_of(hash);
	pthread_mutex_t *mu = &a->stripes[slot % CACHE_STRIPES];
	struct principal *p;

	pthread_mutex_lock(mu);
	p = a->slots[slot];
	if (p && (p->epoch != atomic_load(&a->epoch) ||
		  time_mono_ms() - p->loaded_ms >= LIMIT_CACHE_TTL_MS ||
		  !hash_equal(p->hash, hash, STORE_HASH_LEN)))
		p = NULL;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(mu);
	return p;
}

/* Puts p in its slot (the cache takes its own reference). */
static void cache_put(struct auth *a, struct principal *p)
{
	size_t slot = slot_of(p->hash);
	pthread_mutex_t *mu = &a->stripes[slot % CACHE_STRIPES];

	atomic_fetch_add(&p->refs, 1);
	pthread_mutex_lock(mu);
	struct principal *old = a->slots[slot];
	a->slots[slot] = p;
	pthread_mutex_unlock(mu);
	auth_release(old);
}

void auth_cache_stats(struct auth *a, uint64_t *hits, uint64_t *misses)
{
	*hits = atomic_load(&a->hits);
	*misses = atomic_load(&a->misses);
}

bool auth_client_get(struct auth *a, const uint8_t key[STORE_HASH_LEN], struct app *out)
{
	struct client_slot *s = &a->clients[slot_of(key) % CLIENT_SLOTS];
	bool hit;
	pthread_mutex_lock(&a->clients_mu);
	hit = s->epoch == atomic_load(&a->epoch) &&
	      time_mono_ms() - s->loaded_ms < LIMIT_CACHE_TTL_MS &&
	      hash_equal(s->key, key, STORE_HASH_LEN);
	if (hit)
		*out = s->app;
	pthread_mutex_unlock(&a->clients_mu);
	return hit;
}

void auth_client_put(struct auth *a, const uint8_t key[STORE_HASH_LEN], const struct app *app)
{
	struct client_slot *s = &a->clients[slot_of(key) % CLIENT_SLOTS];
	uint64_t epoch = atomic_load(&a->epoch);
	pthread_mutex_lock(&a->clients_mu);
	memcpy(s->key, key, STORE_HASH_LEN);
	s->epoch = epoch;
	s->loaded_ms = time_mono_ms();
	s->app = *app;
	pthread_mutex_unlock(&a->clients_mu);
}

/* Loads the user, and their memberships (only space_id's when non-zero),
 * into p. */
static enum jt_status load_user(struct store *st, struct principal *p, int64_t user_id,
				int64_t space_id)
{
	struct membership *ms = NULL;
	size_t nms = 0, kept = 0;
	enum jt_status status = store_user_get(st, user_id, &p->user);
	if (status == JT_OK)
		status = store_memberships_of_user(st, user_id, &ms, &nms);
	if (status == JT_OK && nms) {
		p->spaces = jt_calloc(nms, sizeof *p->spaces);
		if (!p->spaces)
			status = JT_ENOMEM;
	}
	for (size_t i = 0; status == JT_OK && i < nms; i++) {
		if (space_id && ms[i].space_id != space_id)
			continue;
		struct principal_space *sp = &p->spaces[kept++];
		sp->id = ms[i].space_id;
		memcpy(sp->name, ms[i].space_name, sizeof sp->name);
		memcpy(sp->role, ms[i].role, sizeof sp->role);
		if (scope_parse(ms[i].permissions, strlen(ms[i].permissions), &sp->permissions) !=
		    JT_OK)
			sp->permissions = 0; /* a role naming an unknown scope grants nothing */
	}
	p->nspaces = kept;
	p->user_permissions = auth_instance_permissions(&p->user);
	crypto_wipe(p->user.password_hash, sizeof p->user.password_hash);
	store_list_free(ms);
	return status;
}

static enum jt_status load_pat(struct store *st, const uint8_t hash[STORE_HASH_LEN],
			       struct principal *p)
{
	struct pat pat;
	enum jt_status status = store_pat_find_by_hash(st, hash, &pat);
	if (status != JT_OK)
		return status;
	p->token_id = pat.id;
	memcpy(p->token_name, pat.name, sizeof p->token_name);
	if (scope_parse(pat.scopes, strlen(pat.scopes), &p->token_scopes) != JT_OK)
		p->token_scopes = 0;
	p->created_at = pat.created_at;
	p->expires_at = pat.expires_at;
	p->revoked_at = pat.revoked_at;
	atomic_init(&p->last_used_at, pat.last_used_at);
	return load_user(st, p, pat.user_id, 0);
}

/* OAuth access tokens (jto_) and client-credentials tokens (jtc_). */
static enum jt_status load_oauth(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				 struct principal *p)
{
	struct oauth_token t;
	struct app app;
	enum jt_status status = store_oauth_find_by_hash(st, hash, &t);
	if (status != JT_OK)
		return status;
	bool is_client = strcmp(t.kind, "client") == 0;
	if (strcmp(t.kind, "refresh") == 0)
		return JT_ENOTFOUND; /* not an access token */
	if (p->kind == TOKEN_NONE) /* a JWT: the record says which kind */
		p->kind = is_client ? TOKEN_CLIENT : TOKEN_ACCESS;
	if ((p->kind == TOKEN_CLIENT) != is_client)
		return JT_ENOTFOUND; /* a prefix that does not match the record */
	p->token_id = t.id;
	if (scope_parse(t.scopes, strlen(t.scopes), &p->token_scopes) != JT_OK)
		p->token_scopes = 0;
	p->created_at = t.created_at;
	p->expires_at = t.expires_at;
	p->revoked_at = t.revoked_at;
	atomic_init(&p->last_used_at, t.last_used_at);
	p->space_id = t.space_id;
	p->app_id = t.app_id;
	uint64_t app_scopes = 0;
	if (t.app_id) {
		status = store_app_get(st, t.app_id, &app);
		if (status != JT_OK)
			return status;
		memcpy(p->client_id, app.client_id, sizeof p->client_id);
		memcpy(p->app_name, app.name, sizeof p->app_name);
		/* What the app may ask for now bounds every token it holds: an
		 * app narrowed after consent narrows its grants at once. */
		if (scope_parse(app.scopes, strlen(app.scopes), &app_scopes) != JT_OK)
			app_scopes = 0;
		p->token_scopes &= app_scopes;
	}
	if (t.user_id)
		return load_user(st, p, t.user_id, t.space_id);
	/* The app acts as itself, with the scopes it is allowed now; it has no
	 * personal tokens to manage. */
	p->user_permissions = app_scopes & ~(uint64_t)SCOPE_MANAGE_TOKENS;
	return JT_OK;
}

/* Builds a principal for a token from the store. */
static enum jt_status load(struct store *st, enum token_kind kind,
			   const uint8_t hash[STORE_HASH_LEN], uint64_t epoch,
			   struct principal **out)
{
	struct principal *p = jt_calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return JT_ENOMEM;
	memcpy(p->hash, hash, STORE_HASH_LEN);
	p->kind = kind;
	atomic_init(&p->refs, 1);
	for (int i = 0; i < AUTH_RENDERINGS; i++)
		atomic_init(&p->rendered[i], NULL);
	enum jt_status status = kind == TOKEN_PAT ? load_pat(st, hash, p) : load_oauth(st, hash, p);
	if (status != JT_OK) {
		principal_free(p);
		return status;
	}
	p->epoch = epoch;
	p->loaded_ms = time_mono_ms();
	*out = p;
	return JT_OK;
}

/* Writes the last-use time if the stored one is a minute old; the
 * compare-and-swap makes one thread of many do it. */
static void touch(struct auth *a, struct principal *p, const char *ip, int64_t now)
{
	long long last = atomic_load(&p->last_used_at);
	if (now - last < LIMIT_LAST_USED_SECONDS)
		return;
	if (!atomic_compare_exchange_strong(&p->last_used_at, &last, now))
		return;
	enum jt_status st = p->kind == TOKEN_PAT ? store_pat_touch(a->store, p->token_id, now, ip)
						 : store_oauth_touch(a->store, p->token_id, now, ip);
	if (st != JT_OK)
		log_warn("could not record the use of token %lld: %s", (long long)p->token_id,
			 jt_status_str(st));
}

void auth_set_keyring(struct auth *a, struct keyring *keys)
{
	a->keys = keys;
}

bool auth_looks_like_jwt(const char *token, size_t token_len)
{
	if (token_len < 16 || token_len > LIMIT_JWT_BYTES || strncmp(token, "eyJ", 3) != 0)
		return false;
	size_t dots = 0;
	for (size_t i = 0; i < token_len; i++)
		dots += token[i] == '.';
	return dots == 2;
}

/* A JWT's signature is checked only when it is not in the cache: the
 * cache key is the hash of the whole JWT, so a tampered one misses. */
static enum jt_status load_jwt(struct auth *a, const char *token, size_t token_len,
			       const uint8_t hash[STORE_HASH_LEN], uint64_t epoch,
			       struct principal **out)
{
	cJSON *claims = NULL;
	enum jt_status st = keyring_verify(a->keys, token, token_len, &claims);
	cJSON_Delete(claims); /* the store's record is the authority for the rest */
	if (st == JT_EINVAL)
		return JT_EINVAL;
	if (st != JT_OK)
		return JT_ENOTFOUND; /* unknown or retired key, wrong algorithm, bad signature */
	return load(a->store, TOKEN_NONE, hash, epoch, out);
}

/* The shared path of auth_verify and auth_verify_token. */
static enum auth_result verify(struct auth *a, const char *token, size_t token_len,
			       const char *ip, bool record_use, struct principal **out)
{
	enum token_kind kind;
	uint8_t hash[STORE_HASH_LEN];
	enum auth_result r = AUTH_OK;

	*out = NULL;
	enum jt_status st = token_shape(token, token_len, &kind);
	bool jwt = st == JT_EINVAL && a->keys && auth_looks_like_jwt(token, token_len);
	if (st != JT_OK && !jwt)
		return AUTH_MALFORMED;
	if (!jwt && kind != TOKEN_PAT && kind != TOKEN_ACCESS && kind != TOKEN_CLIENT) {
		/* refresh tokens and secrets are not access tokens */
		return token_parse(token, token_len, &kind) == JT_ECHECKSUM ? AUTH_CHECKSUM
									   : AUTH_UNKNOWN;
	}

	/* The checksum is checked only on a miss: an entry is a token whose
	 * checksum was right, and a token with its SHA-256 is that token. */
	hash_sha256(token, token_len, hash);
	struct principal *p = cache_get(a, hash);
	if (!p && !jwt && token_parse(token, token_len, &kind) == JT_ECHECKSUM)
		return AUTH_CHECKSUM;
	atomic_fetch_add(p ? &a->hits : &a->misses, 1);
	if (!p) {
		uint64_t epoch = atomic_load(&a->epoch);
		st = jwt ? load_jwt(a, token, token_len, hash, epoch, &p)
			 : load(a->store, kind, hash, epoch, &p);
		if (st == JT_EINVAL)
			return AUTH_MALFORMED;
		if (st == JT_ENOTFOUND)
			return AUTH_UNKNOWN;
		if (st != JT_OK)
			return AUTH_UNAVAILABLE;
		cache_put(a, p);
	}

	int64_t now = time_now();
	if (p->revoked_at)
		r = AUTH_REVOKED;
	else if (p->expires_at && p->expires_at <= now)
		r = AUTH_EXPIRED;
	else if (p->user.disabled)
		r = AUTH_DISABLED;
	if (r != AUTH_OK) {
		auth_release(p);
		return r;
	}
	if (record_use)
		touch(a, p, ip, now);
	*out = p;
	return AUTH_OK;
}

/* The kind a token claims by its prefix (not yet checked), for counting. */
static enum auth_verify_kind claimed_kind(const char *token, size_t token_len)
{
	static const struct {
		char prefix[5];
		enum auth_verify_kind kind;
	} prefixes[] = {{"jtp_", AUTH_VERIFY_PAT},
			{"jto_", AUTH_VERIFY_OAUTH},
			{"jtc_", AUTH_VERIFY_CLIENT},
			{"eyJ", AUTH_VERIFY_JWT}};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i].prefix);
		if (token_len >= n && memcmp(token, prefixes[i].prefix, n) == 0)
			return prefixes[i].kind;
	}
	return AUTH_VERIFY_OTHER;
}

static enum auth_result counted(struct auth *a, enum auth_verify_kind kind, enum auth_result r)
{
	atomic_fetch_add_explicit(&a->verified[kind][r], 1, memory_order_relaxed);
	return r;
}

enum auth_result auth_verify(struct auth *a, const char *header, const char *ip,
			     struct principal **out)
{
	const char *token;
	size_t token_len;
	*out = NULL;
	enum auth_result r = auth_parse_header(header, &token, &token_len);
	if (r != AUTH_OK)
		return counted(a, AUTH_VERIFY_NONE, r);
	return counted(a, claimed_kind(token, token_len),
		       verify(a, token, token_len, ip, true, out));
}

enum auth_result auth_verify_token(struct auth *a, const char *token, size_t token_len,
				   struct principal **out)
{
	return counted(a, claimed_kind(token, token_len),
		       verify(a, token, token_len, "", false, out));
}

void auth_count_issued(struct auth *a, enum auth_issued_kind kind)
{
	atomic_fetch_add_explicit(&a->issued[kind], 1, memory_order_relaxed);
}

void auth_issued_stats(struct auth *a, uint64_t out[AUTH_ISSUED_KINDS])
{
	for (int k = 0; k < AUTH_ISSUED_KINDS; k++)
		out[k] = atomic_load_explicit(&a->issued[k], memory_order_relaxed);
}

const char *const auth_oauth_error_names[AUTH_OAUTH_ERRORS] = {
	"invalid_request",        "invalid_client",         "invalid_grant",
	"unauthorized_client",    "unsupported_grant_type", "invalid_scope",
	"access_denied",          "authorization_pending",  "slow_down",
	"expired_token",          "unsupported_token_type", "server_error",
	"temporarily_unavailable", "other"};

void auth_count_oauth_error(struct auth *a, const char *error)
{
	int i = 0;
	while (i < AUTH_OAUTH_ERRORS - 1 && strcmp(auth_oauth_error_names[i], error) != 0)
		i++;
	atomic_fetch_add_explicit(&a->oauth_errors[i], 1, memory_order_relaxed);
}

void auth_oauth_error_stats(struct auth *a, uint64_t out[AUTH_OAUTH_ERRORS])
{
	for (int i = 0; i < AUTH_OAUTH_ERRORS; i++)
		out[i] = atomic_load_explicit(&a->oauth_errors[i], memory_order_relaxed);
}

void auth_verify_stats(struct auth *a, uint64_t out[AUTH_VERIFY_KINDS][AUTH_RESULTS])
{
	for (int k = 0; k < AUTH_VERIFY_KINDS; k++)
		for (int r = 0; r < AUTH_RESULTS; r++)
			out[k][r] = atomic_load_explicit(&a->verified[k][r], memory_order_relaxed);
}
