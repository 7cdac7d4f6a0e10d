/* SPDX-License-Identifier: MIT */
/* Randomness from libsodium (getrandom(2) underneath). */
#include "crypto/crypto.h"

#include <sodium.h>

void random_bytes(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static const char base62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void random_base62(char *out, size_t n)
{
	unsigned char pool[64];
	size_t used = sizeof pool, i = 0;

	while (i < n) {
		if (used == sizeof pool) {
			random_bytes(pool, sizeof pool);
			used = 0;
		}
		unsigned char b = pool[used++];
		if (b < 248) /* 248 = 4 * 62: keeps every character equally likely */
			out[i++] = base62[b % 62];
	}
	out[n] = '\0';
	sodium_memzero(pool, sizeof pool);
}
