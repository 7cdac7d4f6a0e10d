/* SPDX-License-Identifier: MIT */
/* argon2id password hashing with libsodium, at OWASP's recommended cost
 * (19 MiB, 2 passes), which keeps a node's memory small. */
#include "crypto/crypto.h"

#include <sodium.h>
#include <string.h>

#define PASSWORD_OPSLIMIT 2
#define PASSWORD_MEMLIMIT (19u * 1024 * 1024)

_Static_assert(crypto_pwhash_STRBYTES <= LIMIT_PASSWORD_HASH, "hash buffer too small");

enum jt_status password_hash(const char *password, size_t password_len,
			     char out[LIMIT_PASSWORD_HASH])
{
	if (password_len > LIMIT_PASSWORD_MAX)
		return JT_ETOOBIG;
	if (crypto_pwhash_str_alg(out, password, password_len, PASSWORD_OPSLIMIT,
				  PASSWORD_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return JT_ENOMEM;
	return JT_OK;
}

bool password_verify(const char *encoded, const char *password, size_t password_len)
{
	if (!encoded || !*encoded || password_len > LIMIT_PASSWORD_MAX)
		return false;
	return crypto_pwhash_str_verify(encoded, password, password_len) == 0;
}

void password_generate(char out[PASSWORD_GENERATED_CHARS + 1])
{
	random_base62(out, PASSWORD_GENERATED_CHARS);
}
