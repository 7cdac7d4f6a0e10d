/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/token/jwt.c, jwt_verify against three fixed keys
 * (fuzz_keys.h; kids "ed", "ec", "rs"), as the keyring calls it.
 *
 * Two modes, by the first byte:
 *   0x00  the rest of the input, as header-text "\n" payload-text: the
 *         driver base64url-encodes both and signs them with the "ed" key
 *         (OpenSSL directly), so the header checks and the payload parsing
 *         behind the signature are reached. Oracle: JT_OK only when the
 *         header is a JSON object with alg "EdDSA", typ "at+jwt", kid
 *         "ed", and the payload a JSON object.
 *   else  the whole input is the token (the seeds are signed tokens).
 * Everywhere: JT_OK only with an object of claims, *claims NULL otherwise,
 * known statuses only, no reads past the length, nothing leaked. */
#include "crypto/crypto.h"
#include "fuzz_keys.h"
#include "token/jwt.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct jwt_key *keys[3];
static EVP_PKEY *ed_pkey;

static const struct jwt_key *find(void *arg, const char *kid)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (keys[i] && strcmp(jwt_key_kid(keys[i]), kid) == 0)
			return keys[i];
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const unsigned char *p = fuzz_key_eddsa;
	if (crypto_init() != JT_OK ||
	    jwt_key_import(JWT_EDDSA, "ed", fuzz_key_eddsa, sizeof fuzz_key_eddsa, &keys[0]) != JT_OK ||
	    jwt_key_import(JWT_ES256, "ec", fuzz_key_es256, sizeof fuzz_key_es256, &keys[1]) != JT_OK ||
	    jwt_key_import(JWT_RS256, "rs", fuzz_key_rs256, sizeof fuzz_key_rs256, &keys[2]) != JT_OK ||
	    !(ed_pkey = d2i_AutoPrivateKey(NULL, &p, (long)sizeof fuzz_key_eddsa)))
		abort();
	return 0;
}

static enum jt_status verify(const char *jwt, size_t len, cJSON **claims)
{
	*claims = NULL;
	enum jt_status st = jwt_verify(jwt, len, find, NULL, claims);
	if (st == JT_OK && !cJSON_IsObject(*claims))
		abort();
	if (st != JT_OK && *claims)
		abort(); /* claims are only handed over with JT_OK */
	if (st != JT_OK && st != JT_EINVAL && st != JT_ENOTFOUND && st != JT_ECHECKSUM)
		abort();
	return st;
}

static bool is_str(const cJSON *o, const char *name, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* Appends the base64url of (p, n) to out at *used. */
static void b64(char *out, size_t *used, const uint8_t *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(out + *used, len, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	*used += strlen(out + *used);
}

static void signed_mode(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t h_len = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t p_len = nl ? size - h_len - 1 : 0;
	size_t cap = 2 * size + 200;
	char *jwt = malloc(cap);
	if (!jwt)
		return;
	size_t used = 0;
	b64(jwt, &used, data, h_len);
	jwt[used++] = '.';
	b64(jwt, &used, payload, p_len);
	uint8_t sig[64];
	size_t sig_len = sizeof sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, ed_pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)jwt, used) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	jwt[used++] = '.';
	b64(jwt, &used, sig, sig_len);

	cJSON *claims;
	enum jt_status st = verify(jwt, used, &claims);
	if (st == JT_OK) {
		cJSON *h = cJSON_ParseWithLength((const char *)data, h_len);
		cJSON *p = cJSON_ParseWithLength((const char *)payload, p_len);
		if (!cJSON_IsObject(h) || !is_str(h, "alg", "EdDSA") || !is_str(h, "typ", "at+jwt") ||
		    !is_str(h, "kid", "ed") || !cJSON_IsObject(p))
			abort(); /* accepted a header or payload it should not have */
		cJSON_Delete(h);
		cJSON_Delete(p);
	}
	cJSON_Delete(claims);
	free(jwt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 0x00) {
		signed_mode(data + 1, size - 1);
		return 0;
	}
	cJSON *claims;
	verify((const char *)data, size, &claims);
	cJSON_Delete(claims);
	return 0;
}
