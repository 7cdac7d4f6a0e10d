/* SPDX-License-Identifier: MIT */
/* src/auth/throttle.c: password-guess throttling per account and address. */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "util/limits.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define T0 1800000000LL

static struct throttle *t;

static bool fresh(void)
{
	throttle_free(t);
	t = NULL;
	return CHECK_EQ_INT(throttle_new(&t), JT_OK) && CHECK(t != NULL);
}

/* n failures of account from ip at now. */
static void fail_n(const char *account, const char *ip, int n, int64_t now)
{
	for (int i = 0; i < n; i++)
		throttle_failed(t, account, ip, now);
}

TEST(fresh_throttle_allows)
{
	if (!fresh())
		return;
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.1", T0));
	CHECK(throttle_allowed(t, "", "", T0));
	throttle_free(NULL);
}

TEST(account_is_refused_after_its_limit)
{
	if (!fresh())
		return;
	/* From a different address each time: only the account counts. */
	char ip[32];
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ACCOUNT; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		if (!CHECK(throttle_allowed(t, "a@example.com", ip, T0 + i)))
			fprintf(stderr, "  refused after %d failures\n", i);
		throttle_failed(t, "a@example.com", ip, T0 + i);
	}
	CHECK(!throttle_allowed(t, "a@example.com", "203.0.113.9", T0 + 10));
	CHECK(!throttle_allowed(t, "a@example.com", "198.51.100.1", T0 + 10));
	/* Other accounts are not affected, from any of those addresses. */
	CHECK(throttle_allowed(t, "b@example.com", "198.51.100.1", T0 + 10));
	CHECK(throttle_allowed(t, "a@example.org", "203.0.113.9", T0 + 10));
	CHECK(throttle_allowed(t, "a@example.co", "203.0.113.9", T0 + 10));
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
		throttle_failed(t, spellings[i % 5], ip, T0);
	}
	for (int i = 0; i < 5; i++)
		if (!CHECK(!throttle_allowed(t, spellings[i], "10.1.1.1", T0)))
			fprintf(stderr, "  %s allowed\n", spellings[i]);
	/* Success in one spelling clears them all. */
	throttle_succeeded(t, "ALICE@example.com");
	for (int i = 0; i < 5; i++)
		CHECK(throttle_allowed(t, spellings[i], "10.1.1.1", T0));
}

TEST(address_is_refused_after_its_limit)
{
	if (!fresh())
		return;
	char account[64];
	/* Many accounts from one address (password spraying). */
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "user%d@example.com", i);
		if (!CHECK(throttle_allowed(t, account, "192.0.2.7", T0)))
			fprintf(stderr, "  refused after %d failures\n", i);
		throttle_failed(t, account, "192.0.2.7", T0);
	}
	CHECK(!throttle_allowed(t, "never-tried@example.com", "192.0.2.7", T0 + 1));
	/* Other addresses, and those accounts from them, are fine. */
	CHECK(throttle_allowed(t, "never-tried@example.com", "192.0.2.8", T0 + 1));
	CHECK(throttle_allowed(t, "user0@example.com", "192.0.2.70", T0 + 1));
	CHECK(throttle_allowed(t, "user0@example.com", "2001:db8::7", T0 + 1));
	/* Success clears the account, not the address. */
	throttle_succeeded(t, "user3@example.com");
	CHECK(!throttle_allowed(t, "user3@example.com", "192.0.2.7", T0 + 2));
	/* An IPv6 address in either case is one address. */
	if (!fresh())
		return;
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "v6-%d@example.com", i);
		throttle_failed(t, account, i % 2 ? "2001:DB8::1" : "2001:db8::1", T0);
	}
	CHECK(!throttle_allowed(t, "x@example.com", "2001:db8::1", T0));
}

TEST(success_clears_the_account)
{
	if (!fresh())
		return;
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT, T0);
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.2", T0));
	throttle_succeeded(t, "a@example.com");
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.2", T0));
	/* Counting starts over. */
	fail_n("a@example.com", "192.0.2.3", LIMIT_LOGIN_FAILS_ACCOUNT - 1, T0);
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.4", T0));
	throttle_failed(t, "a@example.com", "192.0.2.3", T0);
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.4", T0));
	/* Success for someone else changes nothing. */
	throttle_succeeded(t, "b@example.com");
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.4", T0));
	/* Success for an account never seen is harmless. */
	throttle_succeeded(t, "nobody@example.com");
	CHECK(throttle_allowed(t, "nobody@example.com", "192.0.2.9", T0));
}

TEST(window_expires)
{
	if (!fresh())
		return;
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT, T0);
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.2", T0 + 1));
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.2", T0 + LIMIT_LOGIN_WINDOW_SECONDS - 1));
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.2", T0 + LIMIT_LOGIN_WINDOW_SECONDS));
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.2",
			       T0 + 10 * LIMIT_LOGIN_WINDOW_SECONDS));
	/* A failure after the window starts a new count of one. */
	int64_t later = T0 + LIMIT_LOGIN_WINDOW_SECONDS + 5;
	throttle_failed(t, "a@example.com", "192.0.2.1", later);
	CHECK(throttle_allowed(t, "a@example.com", "192.0.2.2", later));
	fail_n("a@example.com", "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT - 1, later + 1);
	CHECK(!throttle_allowed(t, "a@example.com", "192.0.2.2", later + 2));

	/* The address window too. */
	if (!fresh())
		return;
	char account[64];
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ADDRESS; i++) {
		snprintf(account, sizeof account, "u%d@example.com", i);
		throttle_failed(t, account, "192.0.2.50", T0);
	}
	CHECK(!throttle_allowed(t, "z@example.com", "192.0.2.50", T0 + LIMIT_LOGIN_WINDOW_SECONDS - 1));
	CHECK(throttle_allowed(t, "z@example.com", "192.0.2.50", T0 + LIMIT_LOGIN_WINDOW_SECONDS));
}

TEST(failures_spread_inside_the_window_add_up)
{
	if (!fresh())
		return;
	int64_t step = LIMIT_LOGIN_WINDOW_SECONDS / (LIMIT_LOGIN_FAILS_ACCOUNT + 1);
	for (int i = 0; i < LIMIT_LOGIN_FAILS_ACCOUNT; i++)
		throttle_failed(t, "slow@example.com", "192.0.2.1", T0 + i * step);
	CHECK(!throttle_allowed(t, "slow@example.com", "192.0.2.2",
				T0 + LIMIT_LOGIN_FAILS_ACCOUNT * step));
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
	CHECK(!throttle_allowed(t, a, "192.0.2.2", T0));
	CHECK(throttle_allowed(t, b, "192.0.2.2", T0));
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
	/* throttle.c: "A collision can only make two keys share a counter
	 * (stricter, never looser)". Find an account in the victim's slot and
	 * fail on it between guesses at the victim. */
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
		if (!throttle_allowed(t, victim, ip, T0 + i))
			break;
		allowed++;
		throttle_failed(t, victim, ip, T0 + i);
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		throttle_failed(t, other, ip, T0 + i);
	}
	if (!CHECK(allowed <= LIMIT_LOGIN_FAILS_ACCOUNT))
		fprintf(stderr, "  %d guesses at %s allowed (limit %d) by interleaving failures "
				"on %s\n",
			allowed, victim, LIMIT_LOGIN_FAILS_ACCOUNT, other);

	/* Nor does another account's success clear the victim's failures. */
	if (!fresh())
		return;
	fail_n(victim, "192.0.2.1", LIMIT_LOGIN_FAILS_ACCOUNT, T0);
	throttle_succeeded(t, other);
	if (!CHECK(!throttle_allowed(t, victim, "192.0.2.2", T0)))
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
	/* A failure of someone else from the colliding address... */
	throttle_failed(t, "someone@example.com", ip, T0);
	/* ...then the victim's last allowed failure. */
	throttle_failed(t, victim, "192.0.2.1", T0);
	if (!CHECK(!throttle_allowed(t, victim, "192.0.2.2", T0)))
		fprintf(stderr, "  failures from %s reset %s's count\n", ip, victim);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(fresh_throttle_allows);
	RUN(account_is_refused_after_its_limit);
	RUN(accounts_are_case_insensitive);
	RUN(address_is_refused_after_its_limit);
	RUN(success_clears_the_account);
	RUN(window_expires);
	RUN(failures_spread_inside_the_window_add_up);
	RUN(long_accounts);
	RUN(a_colliding_account_never_loosens_the_limit);
	RUN(address_and_account_sharing_a_slot);
	throttle_free(t);
	crypto_shutdown();
	return check_summary(__FILE__);
}
