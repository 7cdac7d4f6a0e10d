/* SPDX-License-Identifier: MIT */
/* Sealing: under a key jeton holds (the key-encryption key: keys/), or
 * under a key derived from a secret the reader holds (a token):
 * BLAKE2b keyed with a fixed context derives the key (the secret has
 * 190 bits of entropy or more, so no stretching is needed), libsodium's
 * secretbox (XSalsa20-Poly1305) seals, with a random nonce in front. */
#include "crypto/crypto.h"

#include <sodium.h>

_Static_assert(SEAL_OVERHEAD == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES,
	       "SEAL_OVERHEAD is nonce + MAC");
_Static_assert(SEAL_KEY_BYTES == crypto_secretbox_KEYBYTES, "a secretbox key");

static const char context[] = "jeton sealed-by-secret v1";

static void derive(const char *secret, size_t secret_len, uint8_t key[SEAL_KEY_BYTES])
{
	crypto_generichash(key, crypto_secretbox_KEYBYTES, (const uint8_t *)secret, secret_len,
			   (const uint8_t *)context, sizeof context - 1);
}

enum jt_status seal_with_key(const uint8_t key[SEAL_KEY_BYTES], const void *plain, size_t len,
			     uint8_t *out, size_t out_max, size_t *out_len)
{
	if (len > out_max || out_max - len < SEAL_OVERHEAD)
		return JT_ETOOBIG;
	random_bytes(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, len, out, key);
	*out_len = len + SEAL_OVERHEAD;
	return JT_OK;
}

enum jt_status open_with_key(const uint8_t key[SEAL_KEY_BYTES], const uint8_t *sealed, size_t len,
			     void *plain, size_t plain_max, size_t *plain_len)
{
	if (len < SEAL_OVERHEAD || len - SEAL_OVERHEAD > plain_max ||
	    crypto_secretbox_open_easy(plain, sealed + crypto_secretbox_NONCEBYTES,
				       len - crypto_secretbox_NONCEBYTES, sealed, key) != 0)
		return JT_EINVAL;
	*plain_len = len - SEAL_OVERHEAD;
	return JT_OK;
}

enum jt_status seal_by_secret(const char *secret, size_t secret_len, const void *plain, size_t len,
			      uint8_t *out, size_t out_max, size_t *out_len)
{
	uint8_t key[SEAL_KEY_BYTES];
	derive(secret, secret_len, key);
	enum jt_status st = seal_with_key(key, plain, len, out, out_max, out_len);
	crypto_wipe(key, sizeof key);
	return st;
}

enum jt_status open_by_secret(const char *secret, size_t secret_len, const uint8_t *sealed,
			      size_t len, void *plain, size_t plain_max, size_t *plain_len)
{
	uint8_t key[SEAL_KEY_BYTES];
	derive(secret, secret_len, key);
	enum jt_status st = open_with_key(key, sealed, len, plain, plain_max, plain_len);
	crypto_wipe(key, sizeof key);
	return st;
}
