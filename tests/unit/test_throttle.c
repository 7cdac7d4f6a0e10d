/* SPDX-License-Identifier: MIT */
/* src/auth/throttle.c: password-guess throttling per account and address. */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "util/limits.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define T0 1800000000000LL /* milliseconds */
#define SEC 1000LL
#define WINDOW (LIMIT_LOGIN_WINDOW_SECONDS * SEC)

static struct throttle *t;

static bool fresh(void)
{
	throttle_free(t);
	t = NULL;
	return CHECK_EQ_INT(throttle_new(&t), JT_OK) && CHECK(t != NULL);
}

/* An attempt of account from ip at now; true when it may be checked. The
 * reservation counts it as a failure. */
static bool attempt(const char *account, const char *ip, int64_t now)
{
	struct throttle_ticket ticket;
	return throttle_reserve(t, account, ip, now, &ticket);
}

/* n failed attempts (all must be allowed). */
static void fail_n(const char *account, const char *ip, int n, int64_t now)
{
	for (int i = 0; i < n; i++)
		if (!CHECK(attempt(account, ip, now)))
			fprintf(stderr, "  attempt %d of %s from %s refused\n", i + 1, account, ip);
}

/* A right password from ip: reserved, then released. */
static bool succeed(const char *account, const char *ip, int64_t now)
{
	struct throttle_ticket ticket;
	if (!throttle_reserve(t, account, ip, now, &ticket))
		return false;
	throttle_release(t, &ticket, account, ip);
	return true;
}

TEST(fresh_throttle_allows)
{
	if (!fresh())
		return;
	CHECK(attempt("a@example.com", "192.0.2.1", T0));
	CHECK(attempt("", "", T0));
	throttle_free(NULL);
}

TEST(reservations_count_before_any_outcome)
{
	/* Parallel guesses: every one is reserved before any check ends. */
	if (!fresh())
		return;
	int allowed = 0;
	for (int i = 0; i < 60; i++)
		allowed += attempt("a@example.com", "192.0.2.1", T0);
	CHECK_EQ_INT(allowed, LIMIT_LOGIN_FAILS_ACCOUNT);
	/* ...and a right password among them is refused too, with the time
	 * left before the account may try again. */
	struct throttle_ticket ticket;
	CHECK(!throttle_reserve(t, "a@example.com", "192.0.2.1", T0 + 500, &ticket));
	CHECK(!ticket.allowed);
	CHECK_EQ_INT(ticket.retry_after, LIMIT_LOGIN_WINDOW_SECONDS);
}

struct racer {
	pthread_barrier_t *start;
	int allowed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->start);
	for (int i = 0; i < 20; i++)
		r->allowed += attempt("raced@example.com", "192.0.2.9", T0);
	return NULL;
}

TEST(reservations_hold_across_threads)
{
	enum { THREADS = 8 };
	pthread_t th[THREADS];
	struct racer r[THREADS];
	pthread_barrier_t start;
	if (!fresh())
		return;
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct racer){.start = &start};
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	int allowed = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		allowed += r[i].allowed;
	}
	pthread_barrier_destroy(&start);
	CHECK_EQ_INT(allowed, LIMIT_LOGIN_FAILS_ACCOUNT);
}

TEST(account_is_refused_after_its_limit)
{
	if (!fresh())
		return;
	/* From a different address each time: only the account counts. */
	char ip[32];
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ACCOUNT; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		if (!CHECK(attempt("a@example.com", ip, T0 + i * SEC)))
			fprintf(stderr, "  refused after %d failures\n", i);
	}
	CHECK(!attempt("a@example.com", "203.0.113.9", T0 + 10 * SEC));
	CHECK(!attempt("a@example.com", "198.51.100.1", T0 + 10 * SEC));
	/* Other accounts are not affected, from any of those addresses. */
	CHECK(attempt("b@example.com", "198.51.100.1", T0 + 10 * SEC));
	CHECK(attempt("a@example.org", "203.0.113.9", T0 + 10 * SEC));
	CHECK(attempt("a@example.co", "203.0.113.9", T0 + 10 * SEC));
}

TEST(accounts_are_case_insensitive)
{
	if (!fresh())
		return;
	static const char *const spellings[] = {"Alice@Example.COM", "alice@example.com",
						"ALICE@EXAMPLE.COM", "aLiCe@eXaMpLe.CoM",
						"alice@EXAMPLE.com"};
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ACCOUNT; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.0.0.%d", i);
		attempt(spellings[i % 5], ip, T0);
	}
	for (int i = 0; i < 5; i++)
		if (!CHECK(!attempt(spellings[i], "10.1.1.1", T0)))
			fprintf(stderr, "  %s allowed\n", spellings[i]);
}

TEST(address_is_refused_after_its_limit)
{
	if (!fresh())
		return;
	char account[64];
	/* Many accounts from one address (password spraying). */
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "user%d@example.com", i);
		if (!CHECK(attempt(account, "192.0.2.7", T0)))
			fprintf(stderr, "  refused after %d failures\n", i);
	}
	CHECK(!attempt("never-tried@example.com", "192.0.2.7", T0 + SEC));
	/* Other addresses, and those accounts from them, are fine. */
	CHECK(attempt("never-tried@example.com", "192.0.2.8", T0 + SEC));
	CHECK(attempt("user0@example.com", "192.0.2.70", T0 + SEC));
	CHECK(attempt("user0@example.com", "2001:db8::7", T0 + SEC));
	/* An IPv6 address in either case is one address. */
	if (!fresh())
		return;
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "v6-%d@example.com", i);
		attempt(account, i % 2 ? "2001:DB8::1" : "2001:db8::1", T0);
	}
	CHECK(!attempt("x@example.com", "2001:db8::1", T0));
}

TEST(a_right_password_takes_back_only_its_own_attempt)
{
	if (!fresh())
		return;
	/* Successes never use up the account's limit... */
	for (int i = 0; i < 3 * LIMIT_LOGIN_FAILS_ACCOUNT; i++)
		CHECK(succeed("a@example.com", "192.0.2.2", T0));
	/* ...nor forgive its failures: the owner logging in while guesses
	 * are in flight gives the guesser no fresh attempts. */
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT - 1, T0);
	CHECK(succeed("a@example.com", "192.0.2.2", T0));
	fail_n("a@example.com", "192.0.2.1", 1, T0);
	CHECK(!attempt("a@example.com", "192.0.2.1", T0));
	CHECK(!succeed("a@example.com", "192.0.2.2", T0));
	/* Another account's success changes nothing. */
	CHECK(succeed("b@example.com", "192.0.2.5", T0));
	CHECK(!attempt("a@example.com", "192.0.2.4", T0));
	/* A refused ticket takes nothing back. */
	struct throttle_ticket refused;
	CHECK(!throttle_reserve(t, "a@example.com", "192.0.2.4", T0, &refused));
	throttle_release(t, &refused, "a@example.com", "192.0.2.4");
	CHECK(!attempt("a@example.com", "192.0.2.4", T0));
}

TEST(release_gives_back_only_its_own_attempt_on_the_address)
{
	if (!fresh())
		return;
	char account[64];
	/* Successes from an address never use up its limit... */
	for (int i = 0; i < 3 * LIMIT_LOGIN_FAILS_ADDRESS; i++)
		CHECK(succeed("owner@example.com", "192.0.2.7", T0));
	/* ...nor wipe its failures: an attacker who logs into an account of
	 * their own between guesses still runs into the address limit. */
	int allowed = 0;
	for (int i = 0; i < 3 * LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "victim%d@example.com", i);
		allowed += attempt(account, "192.0.2.7", T0);
		succeed("mine@example.com", "192.0.2.7", T0);
	}
	CHECK_EQ_INT(allowed, LIMIT_LOGIN_FAILS_ADDRESS);
	/* A ticket from an earlier window gives nothing back in a new one. */
	if (!fresh())
		return;
	struct throttle_ticket old;
	CHECK(throttle_reserve(t, "late@example.com", "192.0.2.8", T0, &old));
	int64_t later = T0 + WINDOW;
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "u%d@example.com", i);
		attempt(account, "192.0.2.8", later);
	}
	throttle_release(t, &old, "late@example.com", "192.0.2.8");
	CHECK(!attempt("z@example.com", "192.0.2.8", later));
}

TEST(window_expires)
{
	if (!fresh())
		return;
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT, T0);
	CHECK(!attempt("a@example.com", "192.0.2.2", T0 + SEC));
	CHECK(!attempt("a@example.com", "192.0.2.2", T0 + WINDOW - 1));
	CHECK(attempt("a@example.com", "192.0.2.2", T0 + WINDOW));

	/* The address window too. */
	if (!fresh())
		return;
	char account[64];
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "u%d@example.com", i);
		attempt(account, "192.0.2.50", T0);
	}
	struct throttle_ticket ticket;
	CHECK(!throttle_reserve(t, "z@example.com", "192.0.2.50", T0 + WINDOW - 1500, &ticket));
	CHECK_EQ_INT(ticket.retry_after, 2);
	CHECK(!attempt("z@example.com", "192.0.2.50", T0 + WINDOW - 1));
	CHECK(attempt("z@example.com", "192.0.2.50", T0 + WINDOW));
}

TEST(long_accounts)
{
	if (!fresh())
		return;
	char a[2048], b[2048];
	memset(a, 'a', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[10] = 'b';
	fail_n(a, "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT, T0);
	CHECK(!attempt(a, "192.0.2.2", T0));
	CHECK(attempt(b, "192.0.2.2", T0));
}

/* The slot an account falls in, as throttle.c computes it: the first 8
 * bytes of SHA-256("a:" + lowercased account), modulo the table size. */
static uint64_t slot_of(const char *account)
{
	char buf[300];
	uint8_t digest[HASH_SHA256_LEN];
	uint64_t k;
	int n = snprintf(buf, sizeof buf, "a:%s", account);
	hash_sha256(buf, (size_t)n, digest);
	memcpy(&k, digest, sizeof k);
	return k % LIMIT_THROTTLE_SLOTS;
}

TEST(a_colliding_account_never_loosens_the_limit)
{
	/* Find an account in the victim's slot and fail on it between guesses
	 * at the victim. */
	const char *victim = "victim@example.com";
	uint64_t want = slot_of(victim);
	char other[64] = "";
	for (int i = 0; i < 1000000 && !other[0]; i++) {
		char candidate[64];
		snprintf(candidate, sizeof candidate, "u%d@example.com", i);
		if (slot_of(candidate) == want)
			memcpy(other, candidate, sizeof other);
	}
	if (!CHECK(other[0]) || !fresh())
		return;

	/* Guesses at the victim, each from a new address, with one failure on
	 * the colliding account (from yet another address) in between. */
	char ip[32];
	int allowed = 0;
	for (int i = 0; i < 4 * LIMIT_LOGIN_FAILS_ACCOUNT; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		if (!attempt(victim, ip, T0 + i))
			break;
		allowed++;
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		attempt(other, ip, T0 + i);
	}
	if (!CHECK(allowed <= LIMIT_LOGIN_FAILS_ACCOUNT))
		fprintf(stderr, "  %d guesses at %s allowed (limit %d) by interleaving failures "
				"on %s\n",
			allowed, victim, LIMIT_LOGIN_FAILS_ACCOUNT, other);

	/* Nor does another account's success clear the victim's failures. */
	if (!fresh())
		return;
	fail_n(victim, "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT - 1, T0);
	CHECK(succeed(other, "192.0.2.3", T0));
	fail_n(victim, "192.0.2.1", 1, T0);
	if (!CHECK(!attempt(victim, "192.0.2.2", T0)))
		fprintf(stderr, "  a login of %s cleared %s's failures\n", other, victim);
}

TEST(address_and_account_sharing_a_slot)
{
	/* An address whose counter lands in an account's slot must not wipe
	 * that account's failures either. */
	const char *victim = "victim@example.com";
	uint64_t want = slot_of(victim);
	char ip[64] = "";
	for (int i = 0; i < 1000000 && !ip[0]; i++) {
		char candidate[64], buf[80];
		uint8_t digest[HASH_SHA256_LEN];
		uint64_t k;
		snprintf(candidate, sizeof candidate, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255,
			 i & 255);
		int n = snprintf(buf, sizeof buf, "i:%s", candidate);
		hash_sha256(buf, (size_t)n, digest);
		memcpy(&k, digest, sizeof k);
		if (k % LIMIT_THROTTLE_SLOTS == want)
			memcpy(ip, candidate, sizeof ip);
	}
	if (!CHECK(ip[0]) || !fresh())
		return;
	fail_n(victim, "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT - 1, T0);
	/* Someone else's attempt and success from the colliding address... */
	succeed("someone@example.com", ip, T0);
	/* ...then the victim's last allowed failure. */
	fail_n(victim, "192.0.2.1", 1, T0);
	if (!CHECK(!attempt(victim, "192.0.2.2", T0)))
		fprintf(stderr, "  activity from %s reset %s's count\n", ip, victim);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(fresh_throttle_allows);
	RUN(reservations_count_before_any_outcome);
	RUN(reservations_hold_across_threads);
	RUN(account_is_refused_after_its_limit);
	RUN(accounts_are_case_insensitive);
	RUN(address_is_refused_after_its_limit);
	RUN(a_right_password_takes_back_only_its_own_attempt);
	RUN(release_gives_back_only_its_own_attempt_on_the_address);
	RUN(window_expires);
	RUN(long_accounts);
	RUN(a_colliding_account_never_loosens_the_limit);
	RUN(address_and_account_sharing_a_slot);
	throttle_free(t);
	crypto_shutdown();
	return check_summary(__FILE__);
}
