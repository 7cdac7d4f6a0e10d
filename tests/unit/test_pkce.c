/* SPDX-License-Identifier: MIT */
/* src/oauth/pkce.c: code challenges and verifiers (RFC 7636). */
#include "check.h"
#include "crypto/crypto.h"
#include "oauth/oauth.h"
#include "util/limits.h"

#include <sodium.h>
#include <string.h>

/* RFC 7636 Appendix B. */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* A string of n copies of c. */
static const char *repeat(char c, size_t n, char *buf)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* BASE64URL(SHA256(verifier)), computed here. */
static void s256(const char *verifier, char out[64])
{
	uint8_t digest[HASH_SHA256_LEN];
	hash_sha256(verifier, strlen(verifier), digest);
	sodium_bin2base64(out, 64, digest, sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

TEST(rfc7636_appendix_b)
{
	CHECK(pkce_verify(RFC_VERIFIER, RFC_CHALLENGE, "S256"));
	CHECK(pkce_challenge_valid(RFC_CHALLENGE, "S256"));
	char computed[64];
	s256(RFC_VERIFIER, computed);
	CHECK_EQ_STR(computed, RFC_CHALLENGE);
	/* Any change on either side fails. */
	CHECK(!pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", RFC_CHALLENGE, "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cm", "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, RFC_CHALLENGE "=", "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, "", "S256"));
}

TEST(s256_does_not_accept_the_plain_verifier)
{
	/* A challenge registered as S256 is not matched by sending it back. */
	CHECK(!pkce_verify(RFC_CHALLENGE, RFC_CHALLENGE, "S256"));
	CHECK(!pkce_verify(RFC_VERIFIER, RFC_VERIFIER, "S256"));
	/* ...and plain is not hashed. */
	CHECK(!pkce_verify(RFC_VERIFIER, RFC_CHALLENGE, "plain"));
}

TEST(plain)
{
	CHECK(pkce_verify(RFC_VERIFIER, RFC_VERIFIER, "plain"));
	char a[LIMIT_PKCE_MAX + 1], b[LIMIT_PKCE_MAX + 1];
	repeat('~', LIMIT_PKCE_MAX, a);
	CHECK(pkce_verify(a, repeat('~', LIMIT_PKCE_MAX, b), "plain"));
	CHECK(!pkce_verify(a, repeat('~', LIMIT_PKCE_MAX - 1, b), "plain"));
	repeat('a', LIMIT_PKCE_MIN, a);
	CHECK(pkce_verify(a, repeat('a', LIMIT_PKCE_MIN, b), "plain"));
	CHECK(!pkce_verify(a, repeat('A', LIMIT_PKCE_MIN, b), "plain")); /* case matters */
	repeat('a', LIMIT_PKCE_MIN, b);
	b[LIMIT_PKCE_MIN - 1] = 'b'; /* the last character differs */
	CHECK(!pkce_verify(a, b, "plain"));
	CHECK(!pkce_verify(a, "", "plain"));
}

TEST(methods)
{
	CHECK(pkce_challenge_valid(RFC_CHALLENGE, "plain"));
	static const char *const bad[] = {"", "s256", "S-256", "SHA256", "S512", "PLAIN", "none",
					  "S256 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!CHECK(!pkce_challenge_valid(RFC_CHALLENGE, bad[i])))
			fprintf(stderr, "  method \"%s\" accepted\n", bad[i]);
	}
}

TEST(verify_fails_closed_on_an_unknown_method)
{
	/* authorize.c only stores S256 or plain; a stored method that is
	 * neither (a damaged row, a future method) must not verify as plain. */
	static const char *const bad[] = {"", "s256", "S-256", "SHA256", "PLAIN", "S256 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK(!pkce_verify(RFC_VERIFIER, RFC_VERIFIER, bad[i])))
			fprintf(stderr, "  pkce_verify with method \"%s\" passed as plain\n", bad[i]);
}

TEST(length_bounds)
{
	char buf[LIMIT_PKCE_MAX + 8], challenge[64];
	CHECK_EQ_INT(LIMIT_PKCE_MIN, 43);
	CHECK_EQ_INT(LIMIT_PKCE_MAX, 128);
	static const struct {
		size_t n;
		bool ok;
	} cases[] = {{0, false}, {1, false}, {42, false}, {43, true}, {44, true},
		     {100, true}, {127, true}, {128, true}, {129, false}, {135, false}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		repeat('x', cases[i].n, buf);
		bool valid = pkce_challenge_valid(buf, "S256");
		bool plain_valid = pkce_challenge_valid(buf, "plain");
		s256(buf, challenge);
		bool verifies = pkce_verify(buf, challenge, "S256");
		bool plain_verifies = pkce_verify(buf, buf, "plain");
		if (!CHECK_EQ_INT(valid, cases[i].ok) || !CHECK_EQ_INT(plain_valid, cases[i].ok) ||
		    !CHECK_EQ_INT(verifies, cases[i].ok) || !CHECK_EQ_INT(plain_verifies, cases[i].ok))
			fprintf(stderr, "  length %zu\n", cases[i].n);
	}
}

TEST(charset)
{
	char buf[LIMIT_PKCE_MAX + 1], challenge[64];
	/* Every unreserved character. */
	const char *all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
	CHECK(pkce_challenge_valid(all, "plain"));
	CHECK(pkce_verify(all, all, "plain"));
	s256(all, challenge);
	CHECK(pkce_verify(all, challenge, "S256"));
	/* Each of these in an otherwise fine 43-character string is refused. */
	static const char bad[] = " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}\x7f\x01\t\n\xc3\xff=";
	for (size_t i = 0; i < sizeof bad - 1; i++) {
		repeat('a', LIMIT_PKCE_MIN, buf);
		buf[20] = bad[i];
		if (!CHECK(!pkce_challenge_valid(buf, "S256")) ||
		    !CHECK(!pkce_challenge_valid(buf, "plain")) ||
		    !CHECK(!pkce_verify(buf, buf, "plain")))
			fprintf(stderr, "  character 0x%02x accepted\n", (unsigned char)bad[i]);
		s256(buf, challenge);
		CHECK(!pkce_verify(buf, challenge, "S256"));
	}
	/* A NUL ends the string: what follows does not count. */
	repeat('a', LIMIT_PKCE_MIN, buf);
	buf[10] = '\0';
	CHECK(!pkce_challenge_valid(buf, "S256"));
}

TEST(random_verifiers)
{
	/* 32 random bytes, base64url: the RFC's recommended verifier. */
	for (int i = 0; i < 200; i++) {
		uint8_t raw[32];
		char verifier[64], challenge[64], other[64];
		random_bytes(raw, sizeof raw);
		sodium_bin2base64(verifier, sizeof verifier, raw, sizeof raw,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		s256(verifier, challenge);
		CHECK(pkce_challenge_valid(challenge, "S256"));
		CHECK(pkce_verify(verifier, challenge, "S256"));
		raw[i % 32] ^= 0x40;
		sodium_bin2base64(other, sizeof other, raw, sizeof raw,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		CHECK(!pkce_verify(other, challenge, "S256"));
	}
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(rfc7636_appendix_b);
	RUN(s256_does_not_accept_the_plain_verifier);
	RUN(plain);
	RUN(methods);
	RUN(verify_fails_closed_on_an_unknown_method);
	RUN(length_bounds);
	RUN(charset);
	RUN(random_verifiers);
	crypto_shutdown();
	return check_summary(__FILE__);
}
