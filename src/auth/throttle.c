/* SPDX-License-Identifier: MIT */
/* Throttling of password guesses, per account and per source address.
 *
 * Every password check reserves its attempt first: throttle_reserve()
 * counts it as a failure under the lock, before the argon2id work, so
 * guesses sent in parallel are counted one by one and no more of them reach
 * the password check than the limits allow, whatever the concurrency.
 * throttle_release() takes a right password's attempt back, and nothing
 * else: failures end only with their window (LIMIT_LOGIN_WINDOW_SECONDS
 * from the first), never because someone got a password right.
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

struct counter {
	int failures;
	int64_t start_ms; /* the first failure counted: the window's start */
};

struct throttle {
	pthread_mutex_t mu;
	struct counter accounts[LIMIT_THROTTLE_SLOTS];  /* accounts and addresses never */
	struct counter addresses[LIMIT_THROTTLE_SLOTS]; /* share a counter */
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

/* The counter key for "a:<lowercased account>" or "i:<address>". */
static uint64_t key_of(char kind, const char *value)
{
	char buf[LIMIT_EMAIL_BYTES + 4];
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

static struct counter *slot(struct counter *table, uint64_t key)
{
	return &table[key % LIMIT_THROTTLE_SLOTS];
}

/* Forgets c's failures once its window is over. */
static void expire(struct counter *c, int64_t now_ms)
{
	if (c->failures && now_ms - c->start_ms >= WINDOW_MS)
		memset(c, 0, sizeof *c);
}

static void count(struct counter *c, int64_t now_ms)
{
	if (!c->failures)
		c->start_ms = now_ms;
	c->failures++;
}

/* Takes back one failure counted in the window that started at start_ms. */
static void uncount(struct counter *c, int64_t start_ms)
{
	if (c->failures && c->start_ms == start_ms)
		c->failures--;
}

/* Milliseconds until c lets an attempt through again, when it has limit
 * failures or more; 0 otherwise. */
static int64_t wait_ms(const struct counter *c, int limit, int64_t now_ms)
{
	return c->failures >= limit ? c->start_ms + WINDOW_MS - now_ms : 0;
}

bool throttle_reserve(struct throttle *t, const char *account, const char *ip, int64_t now_ms,
		      struct throttle_ticket *out)
{
	uint64_t akey = key_of('a', account), ikey = key_of('i', ip);
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&t->mu);
	struct counter *a = slot(t->accounts, akey), *i = slot(t->addresses, ikey);
	expire(a, now_ms);
	expire(i, now_ms);
	int64_t wait = wait_ms(a, LIMIT_LOGIN_FAILS_ACCOUNT, now_ms);
	int64_t wait_ip = wait_ms(i, LIMIT_LOGIN_FAILS_ADDRESS, now_ms);
	if (wait_ip > wait)
		wait = wait_ip;
	if (wait > 0) {
		out->retry_after = (int)((wait + 999) / 1000);
	} else {
		count(a, now_ms);
		count(i, now_ms);
		out->allowed = true;
		out->account_window = a->start_ms;
		out->address_window = i->start_ms;
	}
	pthread_mutex_unlock(&t->mu);
	return out->allowed;
}

void throttle_release(struct throttle *t, const struct throttle_ticket *ticket,
		      const char *account, const char *ip)
{
	if (!ticket->allowed)
		return;
	uint64_t akey = key_of('a', account), ikey = key_of('i', ip);
	pthread_mutex_lock(&t->mu);
	struct counter *a = slot(t->accounts, akey), *i = slot(t->addresses, ikey);
	uncount(a, ticket->account_window);
	uncount(i, ticket->address_window);
	pthread_mutex_unlock(&t->mu);
}
