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
	return CHECK_EQ_INT(throttle_new(NULL, &t), JT_OK) && CHECK(t != NULL);
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

/* The seconds a refused attempt is told to wait; 0 if it was allowed. */
static int refused_for(const char *account, const char *ip, int64_t now)
{
	struct throttle_ticket ticket;
	if (throttle_reserve(t, account, ip, now, &ticket))
		return 0;
	return ticket.retry_after;
}

TEST(reservations_count_before_any_outcome)
{
	/* Parallel guesses: every one is reserved before any check ends. */
	if (!fresh())
		return;
	int allowed = 0;
	for (int i = 0; i < 60; i++)
		allowed += attempt("a@example.com", "192.0.2.1", T0);
	CHECK_EQ_INT(allowed, LIMIT_LOGIN_FREE_FAILS);
	/* ...and a right password among them is refused too, with the time
	 * left before the account may try again. */
	CHECK_EQ_INT(refused_for("a@example.com", "192.0.2.1", T0 + 500), 1);
}

struct racer {
	pthread_barrier_t *start;
	int allowed;
};

TEST(free_failures_pass_whatever_order_their_clocks_come_in)
{
	/* Parallel attempts read the time before they take the counters, so a
	 * later one may count first; neither may make the other wait while
	 * failures are still free (a 2FA code sent from three tabs at once). */
	if (!fresh())
		return;
	for (int i = 0; i < LIMIT_LOGIN_FREE_FAILS; i++)
		CHECK_EQ_INT(refused_for("a@example.com", "192.0.2.1", T0 + 10 - i), 0);
	/* ...and the wait after them runs from the latest failure. */
	CHECK(refused_for("a@example.com", "192.0.2.1", T0 + 10 + SEC - 1) > 0);
	CHECK_EQ_INT(refused_for("a@example.com", "192.0.2.1", T0 + 10 + SEC), 0);
}

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
	CHECK_EQ_INT(allowed, LIMIT_LOGIN_FREE_FAILS);
}

TEST(an_account_waits_longer_after_each_failure)
{
	if (!fresh())
		return;
	const char *acct = "a@example.com", *ip = "192.0.2.1";
	int64_t now = T0;
	fail_n(acct, ip, LIMIT_LOGIN_FREE_FAILS, now);
	int64_t expect = 1;
	for (int round = 0; round < 12; round++) {
		/* Refused until the wait is over, told how long is left. */
		CHECK_EQ_INT(refused_for(acct, ip, now), expect);
		CHECK_EQ_INT(refused_for(acct, ip, now + expect * SEC - 1), 1);
		now += expect * SEC;
		if (!CHECK(attempt(acct, ip, now)))
			fprintf(stderr, "  round %d: refused after waiting %lld s\n", round,
				(long long)expect);
		expect = expect * 2 > LIMIT_LOGIN_DELAY_MAX_SECONDS ? LIMIT_LOGIN_DELAY_MAX_SECONDS
								    : expect * 2;
	}
	CHECK_EQ_INT(refused_for(acct, ip, now), LIMIT_LOGIN_DELAY_MAX_SECONDS);
	/* Other accounts are not affected, from that address or another. */
	CHECK(attempt("b@example.com", ip, now));
	CHECK(attempt("a@example.org", "203.0.113.9", now));
}

TEST(an_address_without_failures_passes_the_accounts_wait)
{
	if (!fresh())
		return;
	const char *acct = "owner@example.com";
	/* A stranger fails on the account from A until it waits long. */
	int64_t now = T0;
	fail_n(acct, "192.0.2.66", LIMIT_LOGIN_FREE_FAILS, now);
	for (int i = 0; i < 12; i++) {
		now += LIMIT_LOGIN_DELAY_MAX_SECONDS * SEC;
		CHECK(attempt(acct, "192.0.2.66", now));
	}
	CHECK_EQ_INT(refused_for(acct, "192.0.2.66", now), LIMIT_LOGIN_DELAY_MAX_SECONDS);
	/* The owner, from an address with no failure, gets in at once, as
	 * often as they like (a right password takes its pass back). */
	for (int i = 0; i < 3 * LIMIT_LOGIN_CLEAN_PASSES; i++)
		if (!CHECK(succeed(acct, "198.51.100.7", now)))
			fprintf(stderr, "  login %d of the owner refused\n", i + 1);
	/* The stranger still waits, even after the window of its address's
	 * limit: it keeps failing on the account, so it is never clean. */
	CHECK(!attempt(acct, "192.0.2.66", now));
	CHECK(!attempt(acct, "192.0.2.66", now + LIMIT_LOGIN_DELAY_MAX_SECONDS * SEC - 1));
	/* An address that failed on the account is not clean for it; failures
	 * on other accounts do not matter. */
	CHECK(attempt("other@example.com", "198.51.100.8", now));
	CHECK(attempt(acct, "198.51.100.8", now));
	CHECK(!attempt(acct, "198.51.100.8", now));
}

TEST(clean_passes_are_limited)
{
	if (!fresh())
		return;
	const char *acct = "target@example.com";
	fail_n(acct, "192.0.2.66", LIMIT_LOGIN_FREE_FAILS, T0);
	/* Each fresh address gets one guess past the wait, and only so many
	 * do until the account's failures are forgotten. */
	char ip[32];
	int passed = 0;
	for (int i = 0; i < 4 * LIMIT_LOGIN_CLEAN_PASSES; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		passed += attempt(acct, ip, T0);
	}
	CHECK_EQ_INT(passed, LIMIT_LOGIN_CLEAN_PASSES);
	CHECK(!attempt(acct, "203.0.113.200", T0 + 200 * SEC));
	/* Once its failures are forgotten, the account starts over. */
	int64_t later = T0 + WINDOW + LIMIT_LOGIN_DELAY_MAX_SECONDS * SEC;
	fail_n(acct, "192.0.2.66", LIMIT_LOGIN_FREE_FAILS, later);
	CHECK(attempt(acct, "203.0.113.1", later));
}

TEST(an_accounts_failures_are_forgotten_after_a_quiet_window)
{
	if (!fresh())
		return;
	const char *acct = "a@example.com", *ip = "192.0.2.1";
	fail_n(acct, ip, LIMIT_LOGIN_FREE_FAILS, T0);
	/* Failures keep it waiting as long as they keep coming... */
	int64_t now = T0;
	for (int i = 0; i < 10; i++) {
		now += LIMIT_LOGIN_DELAY_MAX_SECONDS * SEC;
		attempt(acct, ip, now);
	}
	CHECK(!attempt(acct, ip, now + LIMIT_LOGIN_DELAY_MAX_SECONDS * SEC - 1));
	/* ...and a window without one forgets them all. */
	now += WINDOW;
	fail_n(acct, "192.0.2.2", LIMIT_LOGIN_FREE_FAILS, now);
	CHECK_EQ_INT(refused_for(acct, "192.0.2.2", now), 1);
}

TEST(accounts_are_case_insensitive)
{
	if (!fresh())
		return;
	static const char *const spellings[] = {"Alice@Example.COM", "alice@example.com",
						"ALICE@EXAMPLE.COM", "aLiCe@eXaMpLe.CoM",
						"alice@EXAMPLE.com"};
	for (int i = 0; i < LIMIT_LOGIN_FREE_FAILS; i++)
		attempt(spellings[i % 5], "10.0.0.1", T0);
	for (int i = 0; i < 5; i++)
		if (!CHECK(!attempt(spellings[i], "10.0.0.1", T0)))
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
	CHECK_EQ_INT(refused_for("never-tried@example.com", "192.0.2.7", T0 + SEC),
		     LIMIT_LOGIN_WINDOW_SECONDS - 1);
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
	/* Successes never use up the account's free failures... */
	for (int i = 0; i < 3 * LIMIT_LOGIN_FREE_FAILS; i++)
		CHECK(succeed("a@example.com", "192.0.2.1", T0));
	/* ...nor forgive its failures: the owner logging in while guesses
	 * are in flight gives the guesser no fresh attempts. */
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FREE_FAILS - 1, T0);
	CHECK(succeed("a@example.com", "192.0.2.1", T0));
	fail_n("a@example.com", "192.0.2.1", 1, T0);
	CHECK(!attempt("a@example.com", "192.0.2.1", T0));
	CHECK(!succeed("a@example.com", "192.0.2.1", T0));
	/* Another account's success changes nothing. */
	CHECK(succeed("b@example.com", "192.0.2.1", T0));
	CHECK(!attempt("a@example.com", "192.0.2.1", T0));
	/* A refused ticket takes nothing back. */
	struct throttle_ticket refused;
	CHECK(!throttle_reserve(t, "a@example.com", "192.0.2.1", T0, &refused));
	throttle_release(t, &refused, "a@example.com", "192.0.2.1");
	CHECK(!attempt("a@example.com", "192.0.2.1", T0));
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

TEST(address_window_expires)
{
	if (!fresh())
		return;
	char account[64];
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "u%d@example.com", i);
		attempt(account, "192.0.2.50", T0);
	}
	CHECK_EQ_INT(refused_for("z@example.com", "192.0.2.50", T0 + WINDOW - 1500), 2);
	CHECK(!attempt("z@example.com", "192.0.2.50", T0 + WINDOW - 1));
	CHECK(attempt("z@example.com", "192.0.2.50", T0 + WINDOW));
}

TEST(refusals_are_reported_once_per_window_per_account_and_address)
{
	if (!fresh())
		return;
	const char *acct = "a@example.com";
	struct throttle_ticket ticket;
	fail_n(acct, "192.0.2.1", LIMIT_LOGIN_FREE_FAILS, T0);
	int reports = 0;
	for (int i = 0; i < 50; i++) {
		CHECK(!throttle_reserve(t, acct, "192.0.2.1", T0 + i, &ticket));
		reports += ticket.report;
	}
	CHECK_EQ_INT(reports, 1);
	/* Another address refused on the same account is its own report. */
	CHECK(attempt(acct, "192.0.2.2", T0)); /* a clean pass, failed */
	reports = 0;
	for (int i = 0; i < 50; i++) {
		CHECK(!throttle_reserve(t, acct, "192.0.2.2", T0 + i, &ticket));
		reports += ticket.report;
	}
	CHECK_EQ_INT(reports, 1);
	/* Allowed attempts are never reports. */
	CHECK(throttle_reserve(t, "b@example.com", "192.0.2.3", T0, &ticket));
	CHECK(!ticket.report);

	/* An address guessing for a long time: one report per window. */
	if (!fresh())
		return;
	int64_t last_report = 0;
	reports = 0;
	for (int64_t now = T0; now < T0 + 3 * WINDOW; now += SEC) {
		if (throttle_reserve(t, acct, "192.0.2.1", now, &ticket) || !ticket.report)
			continue;
		if (reports && !CHECK(now - last_report >= WINDOW))
			fprintf(stderr, "  reported again after %lld s\n",
				(long long)(now - last_report) / SEC);
		last_report = now;
		reports++;
	}
	CHECK_EQ_INT(reports, 3);
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
	fail_n(a, "192.0.2.1", LIMIT_LOGIN_FREE_FAILS, T0);
	CHECK(!attempt(a, "192.0.2.1", T0));
	CHECK(attempt(b, "192.0.2.1", T0));
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

	/* Guesses at the victim from one address, with one failure on the
	 * colliding account (from another address) in between. */
	int allowed = 0;
	for (int i = 0; i < 4 * LIMIT_LOGIN_FREE_FAILS; i++) {
		allowed += attempt(victim, "198.51.100.1", T0);
		attempt(other, "203.0.113.1", T0);
	}
	if (!CHECK(allowed <= LIMIT_LOGIN_FREE_FAILS))
		fprintf(stderr, "  %d guesses at %s allowed (free %d) by interleaving failures "
				"on %s\n",
			allowed, victim, LIMIT_LOGIN_FREE_FAILS, other);

	/* Nor does another account's success take back the victim's failures. */
	if (!fresh())
		return;
	fail_n(victim, "192.0.2.1", LIMIT_LOGIN_FREE_FAILS - 1, T0);
	CHECK(succeed(other, "192.0.2.1", T0));
	fail_n(victim, "192.0.2.1", 1, T0);
	if (!CHECK(!attempt(victim, "192.0.2.1", T0)))
		fprintf(stderr, "  a login of %s took back %s's failures\n", other, victim);
}

TEST(address_and_account_sharing_a_slot)
{
	/* An address whose counter lands in an account's slot must not take
	 * away that account's failures either. */
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
	fail_n(victim, "192.0.2.1", LIMIT_LOGIN_FREE_FAILS - 1, T0);
	/* Someone else's failure and success from the colliding address... */
	attempt("someone@example.com", ip, T0);
	succeed("someone@example.com", ip, T0);
	/* ...then the victim's last free failure. */
	fail_n(victim, "192.0.2.1", 1, T0);
	if (!CHECK(!attempt(victim, "192.0.2.1", T0)))
		fprintf(stderr, "  activity from %s took back %s's failures\n", ip, victim);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(fresh_throttle_allows);
	RUN(reservations_count_before_any_outcome);
	RUN(free_failures_pass_whatever_order_their_clocks_come_in);
	RUN(reservations_hold_across_threads);
	RUN(an_account_waits_longer_after_each_failure);
	RUN(an_address_without_failures_passes_the_accounts_wait);
	RUN(clean_passes_are_limited);
	RUN(an_accounts_failures_are_forgotten_after_a_quiet_window);
	RUN(accounts_are_case_insensitive);
	RUN(address_is_refused_after_its_limit);
	RUN(a_right_password_takes_back_only_its_own_attempt);
	RUN(release_gives_back_only_its_own_attempt_on_the_address);
	RUN(address_window_expires);
	RUN(refusals_are_reported_once_per_window_per_account_and_address);
	RUN(long_accounts);
	RUN(a_colliding_account_never_loosens_the_limit);
	RUN(address_and_account_sharing_a_slot);
	throttle_free(t);
	crypto_shutdown();
	return check_summary(__FILE__);
}
