/* SPDX-License-Identifier: MIT */
/* Proof Key for Code Exchange (RFC 7636). */
#include "oauth/oauth.h"
#include "crypto/crypto.h"

#include <sodium.h>
#include <string.h>

/* 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1). */
static bool unreserved(const char *s)
{
	size_t n = strlen(s);
	if (n < LIMIT_PKCE_MIN || n > LIMIT_PKCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~'))
			return false;
	}
	return true;
}

bool pkce_challenge_valid(const char *challenge, const char *method)
{
	if (strcmp(method, "S256") != 0 && strcmp(method, "plain") != 0)
		return false;
	return unreserved(challenge);
}

bool pkce_verify(const char *verifier, const char *challenge, const char *method)
{
	char expected[LIMIT_PKCE_MAX + 1];
	if (!unreserved(verifier))
		return false;
	if (strcmp(method, "S256") == 0) {
		uint8_t digest[HASH_SHA256_LEN];
		hash_sha256(verifier, strlen(verifier), digest);
		sodium_bin2base64(expected, sizeof expected, digest, sizeof digest,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} else if (strcmp(method, "plain") == 0) {
		memcpy(expected, verifier, strlen(verifier) + 1);
	} else {
		return false; /* an unknown method never matches */
	}
	size_t n = strlen(expected);
	return n == strlen(challenge) && hash_equal(expected, challenge, n);
}
