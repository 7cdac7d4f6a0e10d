/* SPDX-License-Identifier: MIT */
/* Throttling of password guesses, per account and per source address.
 *
 * Every password check reserves its attempt first: throttle_reserve()
 * counts it as a failure under the lock, before the argon2id work, so
 * guesses sent in parallel are counted one by one and no more of them reach
 * the password check than the rules below allow, whatever the concurrency.
 * throttle_release() takes a right password's attempt back, and nothing
 * else: failures end only with time, never because someone got a password
 * right.
 *
 * An account slows down rather than locks, so a stranger cannot lock its
 * owner out: LIMIT_LOGIN_FREE_FAILS failures pass at once, then each
 * attempt must wait 1, 2, 4 ... s after the last failure, at most
 * LIMIT_LOGIN_DELAY_MAX_SECONDS. The failures are forgotten
 * LIMIT_LOGIN_WINDOW_SECONDS after the last one. While an account waits,
 * an attempt from an address that has not failed on it lately still passes
 * (the owner on their own network), LIMIT_LOGIN_CLEAN_PASSES times at most,
 * so that many fresh addresses cannot guess freely either. Whether an
 * address failed on an account is kept per pair, forgotten like the
 * account's failures: an address that keeps guessing stays unclean.
 *
 * An address is limited to LIMIT_LOGIN_FAILS_ADDRESS failures per window
 * (LIMIT_LOGIN_WINDOW_SECONDS from its first failure).
 *
 * A refusal is worth an audit event once per window per account and
 * address (ticket.report), so refused traffic cannot flood the audit log:
 * at most LIMIT_THROTTLE_SLOTS events per window, whatever is sent.
 *
 * Where the counters live: on a store that several nodes share
 * (PostgreSQL), in the store, a row per key whose key is the key's
 * SHA-256 (no email or address is stored), so that each node sees the
 * others' failures and the limits do not multiply by the number of nodes;
 * store_throttle_update reads, decides and writes an attempt's counters
 * atomically for every node, in a transaction of its own. A store that
 * fails refuses the attempt (Retry-After: 1): guesses do not pass
 * uncounted. Otherwise (SQLite, one node) in fixed tables of
 * LIMIT_THROTTLE_SLOTS counters indexed by a hash of the key: bounded
 * memory whatever an attacker sends. Keys that collide share a counter,
 * which can only make the limits stricter, since nothing done with one key
 * takes away another's failures. The rules are the same code on both
 * (reserve_counts, release_counts), and times are wall-clock milliseconds,
 * the one clock that nodes share. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/mem.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define WINDOW_MS ((int64_t)LIMIT_LOGIN_WINDOW_SECONDS * 1000)
#define DELAY_MAX_MS ((int64_t)LIMIT_LOGIN_DELAY_MAX_SECONDS * 1000)

/* The counters of an attempt; accounts, addresses and pairs never share
 * one. */
enum { ACCOUNT, ADDRESS, PAIR, COUNTERS };

struct throttle {
	struct store *store; /* the counters live there (shared by nodes), or NULL */
	pthread_mutex_t mu;
	struct throttle_count tables[COUNTERS][LIMIT_THROTTLE_SLOTS];
	atomic_uint_fast64_t refused; /* attempts refused, for /metrics */
};

enum jt_status throttle_new(struct store *st, struct throttle **out)
{
	struct throttle *t = jt_calloc(1, sizeof *t);
	*out = t;
	if (!t)
		return JT_ENOMEM;
	t->store = st && store_is_shared(st) ? st : NULL;
	pthread_mutex_init(&t->mu, NULL);
	return JT_OK;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	jt_free(t);
}

/* The keys of an attempt's counters: the SHA-256 of "a:<account>",
 * "i:<address>" and "p:<account>\n<address>", lowercased. */
static void keys_of(const char *account, const char *ip, uint8_t keys[COUNTERS][STORE_HASH_LEN])
{
	char buf[LIMIT_EMAIL_BYTES + LIMIT_IP_BYTES + 4];
	for (int k = 0; k < COUNTERS; k++) {
		int n = k == ACCOUNT ? snprintf(buf, sizeof buf, "a:%s", account)
			: k == ADDRESS ? snprintf(buf, sizeof buf, "i:%s", ip)
				       : snprintf(buf, sizeof buf, "p:%.*s\n%s", LIMIT_EMAIL_BYTES,
						  account, ip);
		if (n < 0)
			n = 0;
		if ((size_t)n >= sizeof buf)
			n = (int)sizeof buf - 1;
		for (int i = 2; i < n; i++)
			buf[i] = (char)tolower((unsigned char)buf[i]);
		hash_sha256(buf, (size_t)n, keys[k]);
	}
}

/* The memory table's counter of key k (kind which). */
static struct throttle_count *slot(struct throttle *t, int which, const uint8_t key[STORE_HASH_LEN])
{
	uint64_t i;
	memcpy(&i, key, sizeof i);
	return &t->tables[which][i % LIMIT_THROTTLE_SLOTS];
}

/* Forgets c's failures once time has ended them: since_ms is the first
 * failure for an address, the last one for an account or a pair. */
static void expire(struct throttle_count *c, int64_t since_ms, int64_t now_ms)
{
	if (c->failures && now_ms - since_ms >= WINDOW_MS)
		memset(c, 0, sizeof *c);
}

static void count(struct throttle_count *c, int64_t now_ms)
{
	if (!c->failures) { /* a new run */
		c->start_ms = now_ms;
		c->passes = 0;
	}
	c->failures++;
	c->last_ms = now_ms;
}

/* An account's wait after n failures: 1 s after the free ones, doubling. */
static int64_t account_delay_ms(int64_t n)
{
	int64_t doublings = n - LIMIT_LOGIN_FREE_FAILS;
	if (doublings < 0)
		return 0;
	if (doublings > 30)
		return DELAY_MAX_MS;
	int64_t d = (int64_t)1000 << doublings;
	return d < DELAY_MAX_MS ? d : DELAY_MAX_MS;
}

/* The rules, on an attempt's counters: counts it as a failure of each and
 * sets out->allowed, or tells out how long to wait. True if a counter
 * changed (and must be kept). */
static bool reserve_counts(struct throttle_count c[COUNTERS], int64_t now_ms,
			   struct throttle_ticket *out)
{
	struct throttle_count *a = &c[ACCOUNT], *i = &c[ADDRESS], *p = &c[PAIR];
	bool changed = false;
	memset(out, 0, sizeof *out);
	/* Time never runs backward on the counters: now_ms was read before
	 * their lock, so a parallel attempt (or another node's clock) may have
	 * counted a little after it. */
	for (int k = 0; k < COUNTERS; k++)
		if (now_ms < c[k].last_ms)
			now_ms = c[k].last_ms;
	expire(a, a->last_ms, now_ms);
	expire(i, i->start_ms, now_ms);
	expire(p, p->last_ms, now_ms);

	int64_t wait = 0;
	if (i->failures >= LIMIT_LOGIN_FAILS_ADDRESS)
		wait = i->start_ms + WINDOW_MS - now_ms;
	int64_t account_wait = a->last_ms + account_delay_ms(a->failures) - now_ms;
	if (account_wait > 0) {
		if (p->failures == 0 && a->passes < LIMIT_LOGIN_CLEAN_PASSES)
			out->clean_pass = true;
		else if (account_wait > wait)
			wait = account_wait;
	}
	if (wait > 0) {
		out->clean_pass = false;
		out->retry_after = (int)((wait + 999) / 1000);
		/* Colliding pairs share this: fewer reports, never more. */
		out->report = !p->reported_ms || now_ms - p->reported_ms >= WINDOW_MS;
		if (out->report) {
			p->reported_ms = now_ms;
			changed = true;
		}
	} else {
		count(a, now_ms);
		count(i, now_ms);
		count(p, now_ms);
		a->passes += out->clean_pass;
		out->allowed = true;
		out->account_run = a->start_ms;
		out->address_run = i->start_ms;
		out->pair_run = p->start_ms;
		changed = true;
	}
	for (int k = 0; k < COUNTERS; k++) {
		int64_t last = c[k].last_ms > c[k].reported_ms ? c[k].last_ms : c[k].reported_ms;
		c[k].until_ms = last + WINDOW_MS;
	}
	return changed;
}

/* Takes back one failure (and pass) counted in the run that started at
 * start_ms; nothing if that run is over. True if it did. */
static bool uncount(struct throttle_count *c, int64_t start_ms, bool pass)
{
	if (!c->failures || c->start_ms != start_ms)
		return false;
	c->failures--;
	if (pass && c->passes)
		c->passes--;
	return true;
}

static bool release_counts(struct throttle_count c[COUNTERS], const struct throttle_ticket *ticket)
{
	bool changed = uncount(&c[ACCOUNT], ticket->account_run, ticket->clean_pass);
	changed |= uncount(&c[ADDRESS], ticket->address_run, false);
	changed |= uncount(&c[PAIR], ticket->pair_run, false);
	return changed;
}

/* ---- in the store ---- */

struct reserve_call {
	int64_t now_ms;
	struct throttle_ticket *out;
};

static bool reserve_change(void *arg, struct throttle_count *counts, size_t n)
{
	struct reserve_call *r = arg;
	(void)n;
	return reserve_counts(counts, r->now_ms, r->out);
}

static bool release_change(void *arg, struct throttle_count *counts, size_t n)
{
	(void)n;
	return release_counts(counts, arg);
}

/* ---- in memory ---- */

/* Runs rules on the memory table's counters of keys, under the lock. */
static bool in_memory(struct throttle *t, const uint8_t keys[COUNTERS][STORE_HASH_LEN],
		      store_throttle_change rules, void *arg)
{
	struct throttle_count c[COUNTERS];
	pthread_mutex_lock(&t->mu);
	for (int k = 0; k < COUNTERS; k++)
		c[k] = *slot(t, k, keys[k]);
	bool changed = rules(arg, c, COUNTERS);
	for (int k = 0; changed && k < COUNTERS; k++)
		*slot(t, k, keys[k]) = c[k];
	pthread_mutex_unlock(&t->mu);
	return changed;
}

bool throttle_reserve(struct throttle *t, const char *account, const char *ip, int64_t now_ms,
		      struct throttle_ticket *out)
{
	uint8_t keys[COUNTERS][STORE_HASH_LEN];
	struct reserve_call r = {.now_ms = now_ms, .out = out};
	keys_of(account, ip, keys);
	if (!t->store) {
		in_memory(t, keys, reserve_change, &r);
	} else if (store_throttle_update(t->store, keys, COUNTERS, reserve_change, &r) != JT_OK) {
		memset(out, 0, sizeof *out);
		out->retry_after = 1;
		log_warn("a password attempt was refused: the throttle's counters could not be "
			 "read or written");
	}
	if (!out->allowed)
		atomic_fetch_add_explicit(&t->refused, 1, memory_order_relaxed);
	return out->allowed;
}

uint64_t throttle_refused(struct throttle *t)
{
	return t ? atomic_load_explicit(&t->refused, memory_order_relaxed) : 0;
}

void throttle_release(struct throttle *t, const struct throttle_ticket *ticket,
		      const char *account, const char *ip)
{
	uint8_t keys[COUNTERS][STORE_HASH_LEN];
	if (!ticket->allowed)
		return;
	keys_of(account, ip, keys);
	if (!t->store)
		in_memory(t, keys, release_change, (void *)ticket);
	else if (store_throttle_update(t->store, keys, COUNTERS, release_change, (void *)ticket) !=
		 JT_OK)
		log_warn("a right password's attempt stays counted as a failure: the throttle's "
			 "counters could not be written");
}
