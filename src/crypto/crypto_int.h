/* SPDX-License-Identifier: MIT */
/* Private to src/crypto: what crypto.c sets up in the other files. */
#ifndef JETON_CRYPTO_INT_H
#define JETON_CRYPTO_INT_H
#include "util/status.h"

/* ---- hash.c ---- */

/* Fetches SHA-256 once; JT_EIO when OpenSSL has no implementation. */
enum jt_status hash_init(void);
void hash_shutdown(void);

#endif
