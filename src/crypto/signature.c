/* SPDX-License-Identifier: MIT */
/* ECDSA P-256 signatures over SHA-256, as secret scanners sign their leak
 * reports (GitHub's secret-scanning partner program): public keys in PEM,
 * signatures in base64 DER. */
#include "crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <string.h>

/* An ECDSA P-256 public key from PEM, or NULL. */
static EVP_PKEY *p256_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	char group[32] = "";
	BIO_free(bio);
	if (key && (!EVP_PKEY_is_a(key, "EC") ||
		    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof group, NULL) ||
		    strcmp(group, "prime256v1") != 0)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

enum jt_status signature_key_id(const char *pem, char key_id[SIGNATURE_KEY_ID_CHARS + 1])
{
	EVP_PKEY *key = p256_key(pem);
	unsigned char *der = NULL;
	int len = key ? i2d_PUBKEY(key, &der) : -1;
	EVP_PKEY_free(key);
	if (len <= 0)
		return JT_EINVAL;
	/* Not hash_sha256: the CLI calls this before crypto_init. */
	uint8_t digest[HASH_SHA256_LEN];
	int ok = EVP_Digest(der, (size_t)len, digest, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok)
		return JT_EIO;
	sodium_bin2hex(key_id, SIGNATURE_KEY_ID_CHARS + 1, digest, sizeof digest);
	return JT_OK;
}

bool signature_verify(const char *pem, const void *msg, size_t msg_len, const char *sig_b64,
		      size_t sig_b64_len)
{
	uint8_t sig[160]; /* a P-256 DER signature is at most 72 bytes */
	size_t sig_len = 0;
	if (sodium_base642bin(sig, sizeof sig, sig_b64, sig_b64_len, NULL, &sig_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	EVP_PKEY *key = p256_key(pem);
	EVP_MD_CTX *ctx = key ? EVP_MD_CTX_new() : NULL;
	bool ok = ctx && EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}
