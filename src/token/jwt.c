/* SPDX-License-Identifier: MIT */
/* JSON Web Tokens for access tokens (RFC 7519, RFC 9068), signed and
 * verified with OpenSSL 3: EdDSA (Ed25519), ES256 (P-256) and RS256
 * (RSA 2048). Base64url comes from libsodium. Nothing here is hand-written
 * cryptography: only the JOSE framing around OpenSSL's primitives. */
#include "token/jwt.h"
#include "crypto/crypto.h"
#include "util/mem.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define JWT_PART_MAX 8192   /* bytes of one decoded part */
#define ES256_SIG_LEN 64    /* r || s, 32 bytes each */

struct jwt_key {
	enum jwt_alg alg;
	char kid[JWT_KID_MAX + 1];
	EVP_PKEY *pkey;
};

static const char *const alg_names[] = {[JWT_EDDSA] = "EdDSA", [JWT_ES256] = "ES256",
					[JWT_RS256] = "RS256"};

const char *jwt_alg_name(enum jwt_alg alg)
{
	return alg_names[alg];
}

enum jt_status jwt_alg_parse(const char *name, enum jwt_alg *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, alg_names[i]) == 0) {
			*out = (enum jwt_alg)i;
			return JT_OK;
		}
	}
	return JT_EINVAL;
}

void jwt_key_free(struct jwt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	jt_free(k);
}

enum jwt_alg jwt_key_alg(const struct jwt_key *k)
{
	return k->alg;
}

const char *jwt_key_kid(const struct jwt_key *k)
{
	return k->kid;
}

static struct jwt_key *key_new(enum jwt_alg alg, const char *kid, EVP_PKEY *pkey)
{
	struct jwt_key *k = jt_calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->alg = alg;
	snprintf(k->kid, sizeof k->kid, "%s", kid);
	k->pkey = pkey;
	return k;
}

enum jt_status jwt_key_generate(enum jwt_alg alg, const char *kid, struct jwt_key **out)
{
	EVP_PKEY *pkey = NULL;
	*out = NULL;
	if (alg == JWT_EDDSA)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (alg == JWT_ES256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!pkey)
		return JT_EIO;
	*out = key_new(alg, kid, pkey);
	return *out ? JT_OK : JT_ENOMEM;
}

enum jt_status jwt_key_export(const struct jwt_key *k, uint8_t **der, size_t *der_len)
{
	unsigned char *buf = NULL;
	int n = i2d_PrivateKey(k->pkey, &buf);
	*der = NULL;
	*der_len = 0;
	if (n <= 0)
		return JT_EIO;
	*der = jt_alloc((size_t)n);
	if (*der) {
		memcpy(*der, buf, (size_t)n);
		*der_len = (size_t)n;
	}
	OPENSSL_clear_free(buf, (size_t)n);
	return *der ? JT_OK : JT_ENOMEM;
}

enum jt_status jwt_key_import(enum jwt_alg alg, const char *kid, const uint8_t *der,
			      size_t der_len, struct jwt_key **out)
{
	const unsigned char *p = der;
	int type = alg == JWT_EDDSA ? EVP_PKEY_ED25519 : alg == JWT_ES256 ? EVP_PKEY_EC : EVP_PKEY_RSA;
	EVP_PKEY *pkey = d2i_PrivateKey(type, NULL, &p, (long)der_len);
	*out = NULL;
	if (!pkey)
		return JT_EINVAL;
	*out = key_new(alg, kid, pkey);
	return *out ? JT_OK : JT_ENOMEM;
}

/* Base64url without padding into a fresh string. */
static char *b64url(const uint8_t *bin, size_t bin_len)
{
	size_t n = sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = jt_alloc(n);
	if (out)
		sodium_bin2base64(out, n, bin, bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static bool add_b64(cJSON *o, const char *name, const uint8_t *bin, size_t bin_len)
{
	char *s = b64url(bin, bin_len);
	if (!s)
		return false;
	cJSON_AddStringToObject(o, name, s);
	jt_free(s);
	return true;
}

/* An unsigned big-endian parameter of the key, fixed to width bytes when
 * width > 0. */
static bool add_bn(cJSON *o, const char *name, const EVP_PKEY *pkey, const char *param,
		   int width)
{
	BIGNUM *bn = NULL;
	uint8_t buf[512];
	bool ok = false;
	if (EVP_PKEY_get_bn_param(pkey, param, &bn)) {
		int n = width ? width : BN_num_bytes(bn);
		if (n > 0 && (size_t)n <= sizeof buf && BN_bn2binpad(bn, buf, n) == n)
			ok = add_b64(o, name, buf, (size_t)n);
	}
	BN_free(bn);
	return ok;
}

cJSON *jwt_key_jwk(const struct jwt_key *k)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;
	if (!ok)
		return NULL;
	cJSON_AddStringToObject(o, "kid", k->kid);
	cJSON_AddStringToObject(o, "use", "sig");
	cJSON_AddStringToObject(o, "alg", alg_names[k->alg]);
	if (k->alg == JWT_EDDSA) {
		uint8_t pub[32];
		size_t len = sizeof pub;
		cJSON_AddStringToObject(o, "kty", "OKP");
		cJSON_AddStringToObject(o, "crv", "Ed25519");
		ok = EVP_PKEY_get_raw_public_key(k->pkey, pub, &len) && add_b64(o, "x", pub, len);
	} else if (k->alg == JWT_ES256) {
		cJSON_AddStringToObject(o, "kty", "EC");
		cJSON_AddStringToObject(o, "crv", "P-256");
		ok = add_bn(o, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32) &&
		     add_bn(o, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	} else {
		cJSON_AddStringToObject(o, "kty", "RSA");
		ok = add_bn(o, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N, 0) &&
		     add_bn(o, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Signs msg: Ed25519 over the message, ES256/RS256 over its SHA-256. The
 * ES256 signature is converted from DER to JOSE's fixed r || s. */
static enum jt_status sign(const struct jwt_key *k, const char *msg, size_t msg_len,
			   uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	enum jt_status st = JT_EIO;
	uint8_t der[128];
	size_t der_len = sizeof der;
	if (!ctx)
		return JT_ENOMEM;
	const char *md = k->alg == JWT_EDDSA ? NULL : "SHA256";
	if (EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k->pkey, NULL) != 1)
		goto out;
	if (k->alg != JWT_ES256) {
		if (EVP_DigestSign(ctx, sig, sig_len, (const unsigned char *)msg, msg_len) == 1)
			st = JT_OK;
		goto out;
	}
	if (EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)msg, msg_len) != 1)
		goto out;
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32) {
		*sig_len = ES256_SIG_LEN;
		st = JT_OK;
	}
	ECDSA_SIG_free(es);
out:
	EVP_MD_CTX_free(ctx);
	return st;
}

enum jt_status jwt_sign(const struct jwt_key *k, const cJSON *claims, char **out)
{
	enum jt_status st = JT_ENOMEM;
	char *header_json = NULL, *claims_json = NULL, *h64 = NULL, *c64 = NULL, *s64 = NULL;
	char *msg = NULL;
	uint8_t sig[512];
	size_t sig_len = sizeof sig;
	cJSON *header = cJSON_CreateObject();

	*out = NULL;
	if (!header)
		goto out;
	cJSON_AddStringToObject(header, "alg", alg_names[k->alg]);
	cJSON_AddStringToObject(header, "typ", "at+jwt");
	cJSON_AddStringToObject(header, "kid", k->kid);
	header_json = cJSON_PrintUnformatted(header);
	claims_json = cJSON_PrintUnformatted(claims);
	if (!header_json || !claims_json)
		goto out;
	h64 = b64url((const uint8_t *)header_json, strlen(header_json));
	c64 = b64url((const uint8_t *)claims_json, strlen(claims_json));
	if (!h64 || !c64)
		goto out;
	size_t msg_len = strlen(h64) + 1 + strlen(c64);
	msg = jt_alloc(msg_len + 1);
	if (!msg)
		goto out;
	snprintf(msg, msg_len + 1, "%s.%s", h64, c64);
	st = sign(k, msg, msg_len, sig, &sig_len);
	if (st != JT_OK)
		goto out;
	s64 = b64url(sig, sig_len);
	st = JT_ENOMEM;
	if (!s64)
		goto out;
	size_t total = msg_len + 1 + strlen(s64);
	*out = jt_alloc(total + 1);
	if (!*out)
		goto out;
	snprintf(*out, total + 1, "%s.%s", msg, s64);
	st = JT_OK;
out:
	/* The signature is what makes the token a bearer credential. */
	crypto_wipe(sig, sizeof sig);
	if (s64)
		crypto_wipe(s64, strlen(s64));
	cJSON_Delete(header);
	cJSON_free(header_json);
	cJSON_free(claims_json);
	jt_free(h64);
	jt_free(c64);
	jt_free(s64);
	jt_free(msg);
	return st;
}

/* Decodes base64url (no padding) of part into out (out_len bytes max). */
static bool unb64(const char *part, size_t part_len, uint8_t *out, size_t out_len, size_t *n)
{
	return sodium_base642bin(out, out_len, part, part_len, NULL, n, NULL,
				 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
}

static bool verify_sig(const struct jwt_key *k, const char *msg, size_t msg_len,
		       const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	const uint8_t *check = sig;
	size_t check_len = sig_len;
	bool ok = false;
	if (!ctx)
		return false;
	if (k->alg == JWT_ES256) {
		/* JOSE r || s back to DER for OpenSSL. */
		if (sig_len != ES256_SIG_LEN)
			goto out;
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
		if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
			BN_free(r);
			BN_free(s);
			ECDSA_SIG_free(es);
			goto out;
		}
		unsigned char *p = der;
		int n = i2d_ECDSA_SIG(es, NULL) <= (int)sizeof der ? i2d_ECDSA_SIG(es, &p) : -1;
		ECDSA_SIG_free(es);
		if (n <= 0)
			goto out;
		check = der;
		check_len = (size_t)n;
	}
	const char *md = k->alg == JWT_EDDSA ? NULL : "SHA256";
	ok = EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, k->pkey, NULL) == 1 &&
	     EVP_DigestVerify(ctx, check, check_len, (const unsigned char *)msg, msg_len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

enum jt_status jwt_verify(const char *jwt, size_t jwt_len,
			  const struct jwt_key *(*find_key)(void *arg, const char *kid),
			  void *arg, cJSON **claims)
{
	uint8_t part[JWT_PART_MAX + 1], sig[512];
	size_t n, sig_len;
	enum jwt_alg alg;
	*claims = NULL;

	const char *dot1 = memchr(jwt, '.', jwt_len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', jwt_len - (size_t)(dot1 + 1 - jwt)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', jwt_len - (size_t)(dot2 + 1 - jwt)))
		return JT_EINVAL;
	/* The header names the key and the algorithm; both must agree with
	 * the key we hold: "alg": "none" or a swapped algorithm never passes. */
	if (!unb64(jwt, (size_t)(dot1 - jwt), part, JWT_PART_MAX, &n))
		return JT_EINVAL;
	part[n] = '\0';
	cJSON *header = cJSON_ParseWithLength((const char *)part, n);
	const cJSON *h_alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
	const cJSON *h_kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
	const cJSON *h_typ = cJSON_GetObjectItemCaseSensitive(header, "typ");
	const struct jwt_key *k = NULL;
	if (cJSON_IsString(h_alg) && cJSON_IsString(h_kid) && cJSON_IsString(h_typ) &&
	    strcmp(h_typ->valuestring, "at+jwt") == 0 &&
	    jwt_alg_parse(h_alg->valuestring, &alg) == JT_OK)
		k = find_key(arg, h_kid->valuestring);
	bool usable = k && k->alg == alg;
	cJSON_Delete(header);
	if (!usable)
		return JT_ENOTFOUND;
	if (!unb64(dot2 + 1, jwt_len - (size_t)(dot2 + 1 - jwt), sig, sizeof sig, &sig_len))
		return JT_EINVAL;
	if (!verify_sig(k, jwt, (size_t)(dot2 - jwt), sig, sig_len))
		return JT_ECHECKSUM;
	if (!unb64(dot1 + 1, (size_t)(dot2 - dot1 - 1), part, JWT_PART_MAX, &n))
		return JT_EINVAL;
	*claims = cJSON_ParseWithLength((const char *)part, n);
	if (*claims && cJSON_IsObject(*claims))
		return JT_OK;
	cJSON_Delete(*claims);
	*claims = NULL;
	return JT_EINVAL;
}
