/* SPDX-License-Identifier: MIT */
/* The crypto module as a whole: setting up and releasing the libraries,
 * and wiping secrets. */
#include "crypto/crypto.h"
#include "crypto/crypto_int.h"

#include <sodium.h>

enum jt_status crypto_init(void)
{
	if (sodium_init() < 0)
		return JT_EIO;
	return hash_init();
}

void crypto_shutdown(void)
{
	hash_shutdown();
}

void crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
