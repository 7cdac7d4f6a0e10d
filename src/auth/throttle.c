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
 * Fixed tables of LIMIT_THROTTLE_SLOTS counters indexed by a hash of the
 * key: bounded memory whatever an attacker sends. Keys that collide share a
 * counter, which can only make the limits stricter, since nothing done with
 * one key takes away another's failures. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define WINDOW_MS ((int64_t)LIMIT_LOGIN_WINDOW_SECONDS * 1000)
#define DELAY_MAX_MS ((int64_t)LIMIT_LOGIN_DELAY_MAX_SECONDS * 1000)

struct counter {
	int failures;
	int passes;       /* accounts: attempts let past the wait from clean addresses */
	int64_t start_ms; /* the first failure counted: identifies this run of failures */
	int64_t last_ms;  /* the last failure counted */
	bool reported;    /* pairs: a refusal was reported, at reported_ms */
	int64_t reported_ms;
};

/* Accounts, addresses and (account, address) pairs never share a counter. */
struct throttle {
	pthread_mutex_t mu;
	struct counter accounts[LIMIT_THROTTLE_SLOTS];
	struct counter addresses[LIMIT_THROTTLE_SLOTS];
	struct counter pairs[LIMIT_THROTTLE_SLOTS];
};

enum jt_status throttle_new(struct throttle **out)
{
	struct throttle *t = jt_calloc(1, sizeof *t);
	*out = t;
	if (!t)
		return JT_ENOMEM;
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

/* The counter key for "a:<account>", "i:<address>" or
 * "p:<account>\n<address>", lowercased. */
static uint64_t key_of(char kind, const char *value)
{
	char buf[LIMIT_EMAIL_BYTES + LIMIT_IP_BYTES + 4];
	uint8_t digest[HASH_SHA256_LEN];
	uint64_t k;
	int n = snprintf(buf, sizeof buf, "%c:%s", kind, value);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	for (int i = 2; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	hash_sha256(buf, (size_t)n, digest);
	memcpy(&k, digest, sizeof k);
	return k;
}

static struct counter *slot(struct counter *table, char kind, const char *value)
{
	return &table[key_of(kind, value) % LIMIT_THROTTLE_SLOTS];
}

static struct counter *pair_slot(struct throttle *t, const char *account, const char *ip)
{
	char pair[LIMIT_EMAIL_BYTES + LIMIT_IP_BYTES + 2];
	snprintf(pair, sizeof pair, "%.*s\n%s", LIMIT_EMAIL_BYTES, account, ip);
	return slot(t->pairs, 'p', pair);
}

/* Forgets c's failures once time has ended them: since_ms is the first
 * failure for an address, the last one for an account or a pair. */
static void expire(struct counter *c, int64_t since_ms, int64_t now_ms)
{
	if (c->failures && now_ms - since_ms >= WINDOW_MS)
		memset(c, 0, sizeof *c);
}

static void count(struct counter *c, int64_t now_ms)
{
	if (!c->failures) { /* a new run */
		c->start_ms = now_ms;
		c->passes = 0;
	}
	c->failures++;
	c->last_ms = now_ms;
}

/* An account's wait after n failures: 1 s after the free ones, doubling. */
static int64_t account_delay_ms(int n)
{
	int doublings = n - LIMIT_LOGIN_FREE_FAILS;
	if (doublings < 0)
		return 0;
	if (doublings > 30)
		return DELAY_MAX_MS;
	int64_t d = (int64_t)1000 << doublings;
	return d < DELAY_MAX_MS ? d : DELAY_MAX_MS;
}

bool throttle_reserve(struct throttle *t, const char *account, const char *ip, int64_t now_ms,
		      struct throttle_ticket *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&t->mu);
	struct counter *a = slot(t->accounts, 'a', account);
	struct counter *i = slot(t->addresses, 'i', ip);
	struct counter *p = pair_slot(t, account, ip);
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
		out->report = !p->reported || now_ms - p->reported_ms >= WINDOW_MS;
		if (out->report) {
			p->reported = true;
			p->reported_ms = now_ms;
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
	}
	pthread_mutex_unlock(&t->mu);
	return out->allowed;
}

/* Takes back one failure (and pass) counted in the run that started at
 * start_ms; nothing if that run is over. */
static void uncount(struct counter *c, int64_t start_ms, bool pass)
{
	if (!c->failures || c->start_ms != start_ms)
		return;
	c->failures--;
	if (pass && c->passes)
		c->passes--;
}

void throttle_release(struct throttle *t, const struct throttle_ticket *ticket,
		      const char *account, const char *ip)
{
	if (!ticket->allowed)
		return;
	pthread_mutex_lock(&t->mu);
	uncount(slot(t->accounts, 'a', account), ticket->account_run, ticket->clean_pass);
	uncount(slot(t->addresses, 'i', ip), ticket->address_run, false);
	uncount(pair_slot(t, account, ip), ticket->pair_run, false);
	pthread_mutex_unlock(&t->mu);
}
