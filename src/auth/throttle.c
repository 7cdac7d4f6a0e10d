/* SPDX-License-Identifier: MIT */
/* Throttling of password guesses, per account and per source address.
 *
 * A fixed table of LIMIT_THROTTLE_SLOTS counters indexed by a hash of the
 * key: bounded memory whatever an attacker sends. Keys that collide share a
 * counter, which can only make the limit stricter: a shared counter is
 * never cleared early, only by the end of its window
 * (LIMIT_LOGIN_WINDOW_SECONDS from its first failure), so nothing done with
 * one account can clear another's failures. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct counter {
	uint64_t key;          /* the key that failed last (first 8 bytes of its SHA-256) */
	bool shared;           /* another key has failed here in this window */
	int failures;
	int64_t window_start;  /* unix seconds of the first failure counted */
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

static struct counter *slot(struct throttle *t, char kind, uint64_t key)
{
	struct counter *table = kind == 'a' ? t->accounts : t->addresses;
	return &table[key % LIMIT_THROTTLE_SLOTS];
}

static int failures(struct throttle *t, char kind, uint64_t key, int64_t now)
{
	struct counter *c = slot(t, kind, key);
	if (now - c->window_start >= LIMIT_LOGIN_WINDOW_SECONDS)
		return 0;
	return c->failures;
}

bool throttle_allowed(struct throttle *t, const char *account, const char *ip, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	bool ok = failures(t, 'a', key_of('a', account), now) < LIMIT_LOGIN_FAILS_ACCOUNT &&
		  failures(t, 'i', key_of('i', ip), now) < LIMIT_LOGIN_FAILS_ADDRESS;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

static void count(struct throttle *t, char kind, uint64_t key, int64_t now)
{
	struct counter *c = slot(t, kind, key);
	if (now - c->window_start >= LIMIT_LOGIN_WINDOW_SECONDS) {
		memset(c, 0, sizeof *c);
		c->window_start = now;
	} else if (c->failures && c->key != key) {
		c->shared = true;
	}
	c->key = key;
	c->failures++;
}

void throttle_failed(struct throttle *t, const char *account, const char *ip, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	count(t, 'a', key_of('a', account), now);
	count(t, 'i', key_of('i', ip), now);
	pthread_mutex_unlock(&t->mu);
}

void throttle_succeeded(struct throttle *t, const char *account)
{
	uint64_t key = key_of('a', account);
	pthread_mutex_lock(&t->mu);
	struct counter *c = slot(t, 'a', key);
	if (c->key == key && !c->shared)
		memset(c, 0, sizeof *c); /* only this account's own failures */
	pthread_mutex_unlock(&t->mu);
}
