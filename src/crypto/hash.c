/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL's EVP interface with the algorithm fetched once
 * (an implicit fetch per call costs more than the hash itself), and a
 * context per thread, reused: EVP_Digest would allocate and free two on
 * every call, and every request hashes its token. */
#include "crypto/crypto.h"
#include "crypto/crypto_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <pthread.h>

static EVP_MD *sha256;
static pthread_key_t thread_ctx; /* the thread's EVP_MD_CTX, freed when it ends */
static pthread_once_t thread_ctx_once = PTHREAD_ONCE_INIT;
static bool thread_ctx_ok;

static void ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void thread_ctx_create(void)
{
	thread_ctx_ok = pthread_key_create(&thread_ctx, ctx_free) == 0;
}

enum jt_status hash_init(void)
{
	pthread_once(&thread_ctx_once, thread_ctx_create);
	if (!sha256)
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	return sha256 && thread_ctx_ok ? JT_OK : JT_EIO;
}

void hash_shutdown(void)
{
	if (thread_ctx_ok) {
		ctx_free(pthread_getspecific(thread_ctx)); /* this thread's: its end is not seen */
		pthread_setspecific(thread_ctx, NULL);
	}
	EVP_MD_free(sha256);
	sha256 = NULL;
}

/* The calling thread's context, made on its first hash; NULL when out of
 * memory. */
static EVP_MD_CTX *ctx_of_thread(void)
{
	EVP_MD_CTX *ctx = thread_ctx_ok ? pthread_getspecific(thread_ctx) : NULL;
	if (!ctx && thread_ctx_ok) {
		ctx = EVP_MD_CTX_new();
		if (ctx && pthread_setspecific(thread_ctx, ctx) != 0) {
			EVP_MD_CTX_free(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

void hash_sha256(const void *in, size_t in_len, uint8_t out[HASH_SHA256_LEN])
{
	unsigned int out_len = HASH_SHA256_LEN;
	EVP_MD_CTX *ctx = ctx_of_thread();
	if (!ctx || !EVP_DigestInit_ex2(ctx, sha256, NULL) || !EVP_DigestUpdate(ctx, in, in_len) ||
	    !EVP_DigestFinal_ex(ctx, out, &out_len)) {
		/* Only on allocation failure inside OpenSSL: make the digest
		 * match nothing rather than leave it uninitialised. */
		for (int i = 0; i < HASH_SHA256_LEN; i++)
			out[i] = 0xFF;
	}
}

bool hash_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
