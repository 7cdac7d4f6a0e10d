/* SPDX-License-Identifier: MIT */
/* src/token/jwt.c: keys, JWKs, signing and verifying JWT access tokens.
 * Tokens with chosen headers are made here with OpenSSL directly, from the
 * private key jwt_key_export gives, so that every refusal is tested with a
 * correct signature over the bad part. */
#include "check.h"
#include "crypto/crypto.h"
#include "token/jwt.h"
#include "util/mem.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const enum jwt_alg all_algs[] = {JWT_EDDSA, JWT_ES256, JWT_RS256};
static struct jwt_key *keys[3];     /* one of each alg, kid "k-<alg>" */
static struct jwt_key *finder_only; /* what find_one returns */

/* ---- helpers ---- */

/* find_key over `keys`, by kid. */
static const struct jwt_key *find_any(void *arg, const char *kid)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (keys[i] && strcmp(jwt_key_kid(keys[i]), kid) == 0)
			return keys[i];
	return NULL;
}

/* find_key that returns finder_only whatever the kid. */
static const struct jwt_key *find_one(void *arg, const char *kid)
{
	(void)arg;
	(void)kid;
	return finder_only;
}

static const struct jwt_key *find_none(void *arg, const char *kid)
{
	(void)arg;
	(void)kid;
	return NULL;
}

/* jwt_verify on an exact-size heap copy (no NUL after it: ASan sees any
 * read past jwt_len). */
static enum jt_status verify_with(const char *jwt,
				  const struct jwt_key *(*find)(void *, const char *),
				  cJSON **claims)
{
	size_t n = strlen(jwt);
	char *copy = malloc(n ? n : 1);
	cJSON *ignored = NULL;
	if (!copy)
		return JT_ENOMEM;
	memcpy(copy, jwt, n);
	enum jt_status st = jwt_verify(copy, n, find, NULL, claims ? claims : &ignored);
	if (!claims) {
		if (st != JT_OK)
			CHECK(ignored == NULL);
		cJSON_Delete(ignored);
	}
	free(copy);
	return st;
}

static bool verifies_to(const char *jwt, enum jt_status want, const char *what)
{
	cJSON *claims = (cJSON *)1;
	enum jt_status st = verify_with(jwt, find_any, &claims);
	bool ok = CHECK_EQ_INT(st, want);
	if (want != JT_OK)
		ok &= CHECK(claims == NULL);
	if (!ok)
		fprintf(stderr, "  %s: %s\n", what, jwt);
	if (claims != (cJSON *)1)
		cJSON_Delete(claims); /* after a failed CHECK too: report, not leak */
	return ok;
}

static bool refused(const char *jwt, const char *what)
{
	cJSON *claims = (cJSON *)1;
	enum jt_status st = verify_with(jwt, find_any, &claims);
	bool ok = CHECK(st != JT_OK) && CHECK(claims == NULL);
	if (!ok)
		fprintf(stderr, "  %s (status %d): %s\n", what, (int)st, jwt);
	if (claims != (cJSON *)1)
		cJSON_Delete(claims);
	return ok;
}

static char *b64url(const void *bin, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(n);
	if (out)
		sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

/* Decodes a base64url part (no padding) of n chars; -1 if not base64url. */
static long unb64(const char *s, size_t n, uint8_t *out, size_t out_len)
{
	size_t got;
	if (sodium_base642bin(out, out_len, s, n, NULL, &got, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	return (long)got;
}

/* Decodes the base64url string field of a JWK; -1 if absent or bad. */
static long jwk_bytes(const cJSON *jwk, const char *name, uint8_t *out, size_t out_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
	if (!cJSON_IsString(v))
		return -1;
	return unb64(v->valuestring, strlen(v->valuestring), out, out_len);
}

static const char *jwk_str(const cJSON *jwk, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The private key of k as an OpenSSL key, through jwt_key_export. */
static EVP_PKEY *openssl_key(const struct jwt_key *k)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	if (!CHECK_EQ_INT(jwt_key_export(k, &der, &der_len), JT_OK))
		return NULL;
	const unsigned char *p = der;
	EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
	CHECK(pkey != NULL);
	crypto_wipe(der, der_len);
	jt_free(der);
	return pkey;
}

/* A JOSE signature over msg with k's private key (independently of
 * jwt.c); returns its length, 0 on failure. */
static size_t raw_sign(const struct jwt_key *k, const char *msg, uint8_t *sig, size_t sig_cap)
{
	EVP_PKEY *pkey = openssl_key(k);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	size_t len = jwt_key_alg(k) == JWT_ES256 ? sizeof der : sig_cap;
	size_t out = 0;
	const char *md = jwt_key_alg(k) == JWT_EDDSA ? NULL : "SHA256";
	if (pkey && ctx && EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, pkey, NULL) == 1 &&
	    EVP_DigestSign(ctx, jwt_key_alg(k) == JWT_ES256 ? der : sig, &len,
			   (const unsigned char *)msg, strlen(msg)) == 1) {
		out = len;
		if (jwt_key_alg(k) == JWT_ES256) {
			const unsigned char *p = der;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
			out = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
					      BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32
				      ? 64
				      : 0;
			ECDSA_SIG_free(es);
		}
	}
	CHECK(out > 0);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return out;
}

/* Checks a JOSE signature over msg with OpenSSL directly. */
static bool raw_verify(const struct jwt_key *k, const char *msg, size_t msg_len,
		       const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *pkey = openssl_key(k);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	const uint8_t *check = sig;
	size_t check_len = sig_len;
	bool ok = false;
	if (jwt_key_alg(k) == JWT_ES256) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
		unsigned char *p = der;
		int n = -1;
		if (sig_len == 64 && es && r && s && ECDSA_SIG_set0(es, r, s))
			n = i2d_ECDSA_SIG(es, &p);
		else {
			BN_free(r);
			BN_free(s);
		}
		ECDSA_SIG_free(es);
		if (n <= 0)
			goto out;
		check = der;
		check_len = (size_t)n;
	}
	const char *md = jwt_key_alg(k) == JWT_EDDSA ? NULL : "SHA256";
	ok = pkey && ctx && EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pkey, NULL) == 1 &&
	     EVP_DigestVerify(ctx, check, check_len, (const unsigned char *)msg, msg_len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

/* "b64(header).<payload_part>.b64(sig by k over both)"; payload_part is
 * used as given (already encoded, or deliberately not). */
static char *craft_raw(const struct jwt_key *k, const char *header_json, const char *payload_part)
{
	char *h = b64url(header_json, strlen(header_json));
	size_t msg_len = strlen(h) + 1 + strlen(payload_part);
	char *msg = malloc(msg_len + 1);
	snprintf(msg, msg_len + 1, "%s.%s", h, payload_part);
	uint8_t sig[512];
	size_t sig_len = raw_sign(k, msg, sig, sizeof sig);
	char *s = b64url(sig, sig_len);
	size_t total = msg_len + 1 + strlen(s) + 1;
	char *out = malloc(total);
	snprintf(out, total, "%s.%s", msg, s);
	free(h);
	free(msg);
	free(s);
	return out;
}

static char *craft(const struct jwt_key *k, const char *header_json, const char *payload_json)
{
	char *p = b64url(payload_json, strlen(payload_json));
	char *out = craft_raw(k, header_json, p);
	free(p);
	return out;
}

static cJSON *sample_claims(void)
{
	return cJSON_Parse("{\"iss\": \"https://jeton.example\", \"sub\": \"42\", "
			   "\"aud\": \"api\", \"exp\": 1900000000, \"iat\": 1800000000, "
			   "\"jti\": \"abc\", \"scope\": \"read_content\", \"client_id\": \"c\", "
			   "\"note\": \"é ✓ \\\" \\\\ </script>\"}");
}

static char *sign_sample(const struct jwt_key *k)
{
	cJSON *claims = sample_claims();
	char *jwt = NULL;
	CHECK_EQ_INT(jwt_sign(k, claims, &jwt), JT_OK);
	cJSON_Delete(claims);
	return jwt;
}

/* Header JSON for k with the given alg and typ (NULL: left out). */
static void header_for(char *out, size_t out_len, const char *alg, const char *typ,
		       const char *kid)
{
	size_t n = (size_t)snprintf(out, out_len, "{");
	if (alg)
		n += (size_t)snprintf(out + n, out_len - n, "\"alg\":\"%s\",", alg);
	if (typ)
		n += (size_t)snprintf(out + n, out_len - n, "\"typ\":\"%s\",", typ);
	if (kid)
		n += (size_t)snprintf(out + n, out_len - n, "\"kid\":\"%s\",", kid);
	if (out[n - 1] == ',')
		n--;
	snprintf(out + n, out_len - n, "}");
}

/* ---- tests ---- */

TEST(alg_names)
{
	for (int i = 0; i < 3; i++) {
		enum jwt_alg a = (enum jwt_alg)99;
		CHECK_EQ_INT(jwt_alg_parse(jwt_alg_name(all_algs[i]), &a), JT_OK);
		CHECK_EQ_INT(a, all_algs[i]);
	}
	CHECK_EQ_STR(jwt_alg_name(JWT_EDDSA), "EdDSA");
	CHECK_EQ_STR(jwt_alg_name(JWT_ES256), "ES256");
	CHECK_EQ_STR(jwt_alg_name(JWT_RS256), "RS256");
	static const char *const bad[] = {"none", "None", "", "HS256", "eddsa", "ES256 ",
					  "RS512", "PS256", "ES384", "Ed25519"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum jwt_alg a;
		if (!CHECK_EQ_INT(jwt_alg_parse(bad[i], &a), JT_EINVAL))
			fprintf(stderr, "  \"%s\"\n", bad[i]);
	}
}

TEST(keys_have_their_alg_and_kid)
{
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(jwt_key_alg(keys[i]), all_algs[i]);
		char want[16];
		snprintf(want, sizeof want, "k-%s", jwt_alg_name(all_algs[i]));
		CHECK_EQ_STR(jwt_key_kid(keys[i]), want);
	}
	/* A kid longer than JWT_KID_MAX is cut, never overflows. */
	struct jwt_key *k = NULL;
	char long_kid[100];
	memset(long_kid, 'k', sizeof long_kid - 1);
	long_kid[sizeof long_kid - 1] = '\0';
	if (CHECK_EQ_INT(jwt_key_generate(JWT_EDDSA, long_kid, &k), JT_OK))
		CHECK_EQ_INT(strlen(jwt_key_kid(k)), JWT_KID_MAX);
	jwt_key_free(k);
	jwt_key_free(NULL);
}

TEST(jwk_fields)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
	uint8_t buf[600];
	for (int i = 0; i < 3; i++) {
		cJSON *jwk = jwt_key_jwk(keys[i]);
		if (!CHECK(jwk != NULL))
			continue;
		CHECK_EQ_STR(jwk_str(jwk, "kid"), jwt_key_kid(keys[i]));
		CHECK_EQ_STR(jwk_str(jwk, "alg"), jwt_alg_name(all_algs[i]));
		CHECK_EQ_STR(jwk_str(jwk, "use"), "sig");
		for (size_t j = 0; j < sizeof private_members / sizeof private_members[0]; j++)
			if (!CHECK(!cJSON_HasObjectItem(jwk, private_members[j])))
				fprintf(stderr, "  %s JWK has \"%s\"\n", jwt_alg_name(all_algs[i]),
					private_members[j]);
		if (all_algs[i] == JWT_EDDSA) {
			CHECK_EQ_STR(jwk_str(jwk, "kty"), "OKP");
			CHECK_EQ_STR(jwk_str(jwk, "crv"), "Ed25519");
			CHECK_EQ_INT(jwk_bytes(jwk, "x", buf, sizeof buf), 32);
			CHECK_EQ_INT(cJSON_GetArraySize(jwk), 6);
		} else if (all_algs[i] == JWT_ES256) {
			CHECK_EQ_STR(jwk_str(jwk, "kty"), "EC");
			CHECK_EQ_STR(jwk_str(jwk, "crv"), "P-256");
			CHECK_EQ_INT(jwk_bytes(jwk, "x", buf, sizeof buf), 32);
			CHECK_EQ_INT(jwk_bytes(jwk, "y", buf, sizeof buf), 32);
			CHECK_EQ_INT(cJSON_GetArraySize(jwk), 7);
		} else {
			CHECK_EQ_STR(jwk_str(jwk, "kty"), "RSA");
			CHECK(!cJSON_HasObjectItem(jwk, "crv"));
			CHECK_EQ_INT(jwk_bytes(jwk, "n", buf, sizeof buf), 256);
			CHECK(buf[0] & 0x80); /* 2048 bits, no leading zero byte */
			CHECK_EQ_STR(jwk_str(jwk, "e"), "AQAB");
			CHECK_EQ_INT(cJSON_GetArraySize(jwk), 6);
		}
		cJSON_Delete(jwk);
	}
}

TEST(ec_coordinates_keep_leading_zeros)
{
	/* About 1 in 128 P-256 keys has an x or y below 2^248: still 32 bytes. */
	uint8_t buf[64];
	int short_seen = 0;
	for (int i = 0; i < 400 && short_seen < 2; i++) {
		struct jwt_key *k = NULL;
		if (!CHECK_EQ_INT(jwt_key_generate(JWT_ES256, "ec", &k), JT_OK))
			return;
		cJSON *jwk = jwt_key_jwk(k);
		long x = jwk_bytes(jwk, "x", buf, sizeof buf);
		bool x0 = buf[0] == 0;
		long y = jwk_bytes(jwk, "y", buf, sizeof buf);
		bool y0 = buf[0] == 0;
		short_seen += x0 || y0;
		if (!CHECK_EQ_INT(x, 32) || !CHECK_EQ_INT(y, 32))
			i = 400;
		cJSON_Delete(jwk);
		jwt_key_free(k);
	}
}

TEST(sign_and_verify_round_trip)
{
	for (int i = 0; i < 3; i++) {
		const struct jwt_key *k = keys[i];
		char *jwt = sign_sample(k);
		if (!CHECK(jwt != NULL))
			continue;
		/* Three base64url parts. */
		const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		if (!CHECK(d1 && d2 && !strchr(d2 + 1, '.'))) {
			jt_free(jwt);
			continue;
		}
		CHECK(strspn(jwt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
		      strlen(jwt));
		CHECK(strncmp(jwt, "eyJ", 3) == 0);

		/* The header: alg, typ at+jwt, kid, nothing else. */
		uint8_t part[4096];
		long n = unb64(jwt, (size_t)(d1 - jwt), part, sizeof part - 1);
		if (CHECK(n > 0)) {
			cJSON *h = cJSON_ParseWithLength((const char *)part, (size_t)n);
			CHECK_EQ_STR(jwk_str(h, "alg"), jwt_alg_name(all_algs[i]));
			CHECK_EQ_STR(jwk_str(h, "typ"), "at+jwt");
			CHECK_EQ_STR(jwk_str(h, "kid"), jwt_key_kid(k));
			CHECK_EQ_INT(cJSON_GetArraySize(h), 3);
			cJSON_Delete(h);
		}
		/* The payload: the claims. */
		n = unb64(d1 + 1, (size_t)(d2 - d1 - 1), part, sizeof part - 1);
		if (CHECK(n > 0)) {
			cJSON *p = cJSON_ParseWithLength((const char *)part, (size_t)n);
			cJSON *want = sample_claims();
			CHECK(cJSON_Compare(p, want, true));
			cJSON_Delete(p);
			cJSON_Delete(want);
		}
		/* The signature: JOSE sizes, checked by OpenSSL directly. */
		uint8_t sig[512];
		long sig_len = unb64(d2 + 1, strlen(d2 + 1), sig, sizeof sig);
		CHECK_EQ_INT(sig_len, all_algs[i] == JWT_RS256 ? 256 : 64);
		CHECK(sig_len > 0 && raw_verify(k, jwt, (size_t)(d2 - jwt), sig, (size_t)sig_len));

		/* jwt_verify gives the claims back. */
		cJSON *claims = NULL;
		if (CHECK_EQ_INT(verify_with(jwt, find_any, &claims), JT_OK)) {
			cJSON *want = sample_claims();
			CHECK(cJSON_Compare(claims, want, true));
			cJSON_Delete(want);
		}
		cJSON_Delete(claims);
		jt_free(jwt);
	}
}

TEST(verify_accepts_independent_signatures)
{
	/* A token made outside jwt.c with the same key verifies. */
	for (int i = 0; i < 3; i++) {
		char h[128];
		header_for(h, sizeof h, jwt_alg_name(all_algs[i]), "at+jwt", jwt_key_kid(keys[i]));
		char *jwt = craft(keys[i], h, "{\"sub\":\"1\"}");
		verifies_to(jwt, JT_OK, "crafted");
		free(jwt);
	}
}

TEST(empty_claims)
{
	cJSON *empty = cJSON_CreateObject();
	char *jwt = NULL;
	if (CHECK_EQ_INT(jwt_sign(keys[0], empty, &jwt), JT_OK)) {
		cJSON *claims = NULL;
		CHECK_EQ_INT(verify_with(jwt, find_any, &claims), JT_OK);
		CHECK(cJSON_IsObject(claims) && cJSON_GetArraySize(claims) == 0);
		cJSON_Delete(claims);
	}
	jt_free(jwt);
	cJSON_Delete(empty);
}

TEST(unknown_kid)
{
	char *jwt = sign_sample(keys[0]);
	CHECK_EQ_INT(verify_with(jwt, find_none, NULL), JT_ENOTFOUND);
	jt_free(jwt);

	char h[128];
	header_for(h, sizeof h, "EdDSA", "at+jwt", "other");
	jwt = craft(keys[0], h, "{}");
	verifies_to(jwt, JT_ENOTFOUND, "unknown kid");
	free(jwt);
	/* The kid is compared whole. */
	header_for(h, sizeof h, "EdDSA", "at+jwt", "k-EdDSAx");
	jwt = craft(keys[0], h, "{}");
	verifies_to(jwt, JT_ENOTFOUND, "kid with a suffix");
	free(jwt);
	header_for(h, sizeof h, "EdDSA", "at+jwt", "k-EdDS");
	jwt = craft(keys[0], h, "{}");
	verifies_to(jwt, JT_ENOTFOUND, "kid prefix");
	free(jwt);
	/* No kid, or not a string. */
	header_for(h, sizeof h, "EdDSA", "at+jwt", NULL);
	jwt = craft(keys[0], h, "{}");
	refused(jwt, "no kid");
	free(jwt);
	jwt = craft(keys[0], "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":7}", "{}");
	refused(jwt, "numeric kid");
	free(jwt);
}

TEST(alg_none_is_refused)
{
	static const char *const nones[] = {"none", "None", "NONE", "", "nOnE"};
	char h[128];
	for (size_t i = 0; i < sizeof nones / sizeof nones[0]; i++) {
		header_for(h, sizeof h, nones[i], "at+jwt", "k-EdDSA");
		char *hb = b64url(h, strlen(h));
		char *pb = b64url("{\"sub\":\"1\"}", 11);
		char jwt[512];
		/* Unsigned, as alg none would have it... */
		snprintf(jwt, sizeof jwt, "%s.%s.", hb, pb);
		verifies_to(jwt, JT_ENOTFOUND, "alg none, no signature");
		free(hb);
		free(pb);
		/* ...and with a valid EdDSA signature over it. */
		char *signed_jwt = craft(keys[0], h, "{\"sub\":\"1\"}");
		verifies_to(signed_jwt, JT_ENOTFOUND, "alg none, signed");
		free(signed_jwt);
	}
	/* No alg at all, or not a string. */
	header_for(h, sizeof h, NULL, "at+jwt", "k-EdDSA");
	char *jwt = craft(keys[0], h, "{}");
	refused(jwt, "no alg");
	free(jwt);
	jwt = craft(keys[0], "{\"alg\":[\"EdDSA\"],\"typ\":\"at+jwt\",\"kid\":\"k-EdDSA\"}", "{}");
	refused(jwt, "alg an array");
	free(jwt);
}

TEST(alg_must_match_the_key)
{
	/* Each key, named by kid, with each other algorithm in the header,
	 * signed by the key of that other algorithm. */
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			if (i == j)
				continue;
			char h[128];
			header_for(h, sizeof h, jwt_alg_name(all_algs[j]), "at+jwt",
				   jwt_key_kid(keys[i]));
			char *jwt = craft(keys[j], h, "{\"sub\":\"1\"}");
			verifies_to(jwt, JT_ENOTFOUND, "alg switch");
			free(jwt);
			/* Signed by the named key itself, alg still wrong. */
			jwt = craft(keys[i], h, "{\"sub\":\"1\"}");
			verifies_to(jwt, JT_ENOTFOUND, "alg mismatch, right key");
			free(jwt);
		}
	}
	/* A token signed by one key, checked against a key of another alg
	 * that the finder returns for any kid. */
	char *jwt = sign_sample(keys[2]);
	finder_only = keys[0];
	CHECK_EQ_INT(verify_with(jwt, find_one, NULL), JT_ENOTFOUND);
	/* Same alg, different key: a bad signature. */
	struct jwt_key *other = NULL;
	if (CHECK_EQ_INT(jwt_key_generate(JWT_RS256, "k-RS256", &other), JT_OK)) {
		finder_only = other;
		CHECK_EQ_INT(verify_with(jwt, find_one, NULL), JT_ECHECKSUM);
	}
	finder_only = NULL;
	jwt_key_free(other);
	jt_free(jwt);
}

TEST(typ_must_be_at_jwt)
{
	static const char *const typs[] = {"JWT", "jwt", "", "at+jwt ", "at+JWT2", "JOSE"};
	char h[128];
	for (size_t i = 0; i < sizeof typs / sizeof typs[0]; i++) {
		header_for(h, sizeof h, "EdDSA", typs[i], "k-EdDSA");
		char *jwt = craft(keys[0], h, "{\"sub\":\"1\"}");
		refused(jwt, "typ");
		free(jwt);
	}
	header_for(h, sizeof h, "EdDSA", NULL, "k-EdDSA");
	char *jwt = craft(keys[0], h, "{\"sub\":\"1\"}");
	refused(jwt, "no typ");
	free(jwt);
}

TEST(tampered_payload)
{
	for (int i = 0; i < 3; i++) {
		char *jwt = sign_sample(keys[i]);
		char *d1 = strchr(jwt, '.');
		/* Flip one character of the payload to another base64url one. */
		for (size_t off = 1; off < 40; off += 7) {
			char saved = d1[off];
			d1[off] = saved == 'A' ? 'B' : 'A';
			verifies_to(jwt, JT_ECHECKSUM, "payload changed");
			d1[off] = saved;
		}
		/* Another token's payload under this signature. */
		cJSON *claims = cJSON_Parse("{\"sub\":\"admin\",\"scope\":\"manage_space\"}");
		char *other = NULL;
		CHECK_EQ_INT(jwt_sign(keys[i], claims, &other), JT_OK);
		const char *o1 = strchr(other, '.'), *o2 = strchr(o1 + 1, '.');
		const char *d2 = strchr(d1 + 1, '.');
		char mixed[2048];
		snprintf(mixed, sizeof mixed, "%.*s%.*s%s", (int)(d1 - jwt), jwt, (int)(o2 - o1), o1,
			 d2);
		verifies_to(mixed, JT_ECHECKSUM, "payload swapped");
		/* The original still verifies. */
		verifies_to(jwt, JT_OK, "original");
		cJSON_Delete(claims);
		jt_free(other);
		jt_free(jwt);
	}
}

TEST(tampered_signature)
{
	for (int i = 0; i < 3; i++) {
		char *jwt = sign_sample(keys[i]);
		char *d2 = strrchr(jwt, '.');
		uint8_t sig[512];
		long sig_len = unb64(d2 + 1, strlen(d2 + 1), sig, sizeof sig);
		if (!CHECK(sig_len > 0))
			continue;
		char buf[2048];
		/* One bit flipped anywhere (re-encoded, so still base64url). */
		for (long bit = 0; bit < sig_len * 8; bit += 61) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			char *s = b64url(sig, (size_t)sig_len);
			snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, s);
			verifies_to(buf, JT_ECHECKSUM, "signature bit flipped");
			free(s);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Cut short, grown, empty, all zeros. */
		char *s = b64url(sig, (size_t)sig_len - 1);
		snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, s);
		verifies_to(buf, JT_ECHECKSUM, "signature one byte short");
		free(s);
		sig[sig_len] = 0;
		s = b64url(sig, (size_t)sig_len + 1);
		snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, s);
		verifies_to(buf, JT_ECHECKSUM, "signature one byte long");
		free(s);
		snprintf(buf, sizeof buf, "%.*s.", (int)(d2 - jwt), jwt);
		verifies_to(buf, JT_ECHECKSUM, "no signature");
		memset(sig, 0, sizeof sig);
		s = b64url(sig, (size_t)sig_len);
		snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, s);
		verifies_to(buf, JT_ECHECKSUM, "zero signature");
		free(s);
		/* ES256: r || s with s replaced by the group order is invalid. */
		if (all_algs[i] == JWT_ES256) {
			static const uint8_t order[32] = {
				0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
				0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
				0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
			unb64(d2 + 1, strlen(d2 + 1), sig, sizeof sig);
			memcpy(sig + 32, order, 32);
			s = b64url(sig, 64);
			snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, s);
			verifies_to(buf, JT_ECHECKSUM, "ES256 s = n");
			free(s);
		}
		jt_free(jwt);
	}
}

TEST(malformed_shape)
{
	static const char *const bad[] = {
		"", ".", "...", "a", "a.b", "a.b.c.d", "eyJhbGciOiJFZERTQSJ9",
		"eyJ.eyJ", "a..b.c",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		verifies_to(bad[i], JT_EINVAL, "shape");

	char *jwt = sign_sample(keys[0]);
	size_t n = strlen(jwt);
	char buf[2048];
	/* A fourth part, or a part dropped. */
	snprintf(buf, sizeof buf, "%s.", jwt);
	verifies_to(buf, JT_EINVAL, "trailing dot");
	snprintf(buf, sizeof buf, "%s.%s", jwt, strrchr(jwt, '.') + 1);
	verifies_to(buf, JT_EINVAL, "four parts");
	snprintf(buf, sizeof buf, "%.*s", (int)(strrchr(jwt, '.') - jwt), jwt);
	verifies_to(buf, JT_EINVAL, "two parts");
	/* A length that stops inside the token. */
	cJSON *claims = (cJSON *)1;
	CHECK_EQ_INT(jwt_verify(jwt, (size_t)(strchr(jwt, '.') - jwt) + 3, find_any, NULL, &claims),
		     JT_EINVAL);
	CHECK(claims == NULL);
	CHECK(jwt_verify(jwt, n - 1, find_any, NULL, &claims) != JT_OK);
	CHECK(claims == NULL);
	CHECK_EQ_INT(jwt_verify(jwt, 0, find_any, NULL, &claims), JT_EINVAL);
	jt_free(jwt);
}

TEST(malformed_base64)
{
	char *jwt = sign_sample(keys[0]);
	const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
	char buf[2048];
	/* Header: not base64url (standard alphabet, padding, junk). */
	static const char *const headers[] = {"!!!", "eyJ+", "eyJ/", "eyJhbGciOiJub25lIn0=", "e y",
					      "eyJhbGciOiJFZERTQSJ9%"};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", headers[i], d1);
		verifies_to(buf, JT_EINVAL, "header base64");
	}
	/* Signature: not base64url. */
	static const char *const sigs[] = {"!!!!", "AAAA=", "AA+/", "A", "AA AA"};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		snprintf(buf, sizeof buf, "%.*s.%s", (int)(d2 - jwt), jwt, sigs[i]);
		verifies_to(buf, JT_EINVAL, "signature base64");
	}
	jt_free(jwt);

	/* Payload: validly signed, but not base64url, not JSON, not an object. */
	char h[128];
	header_for(h, sizeof h, "EdDSA", "at+jwt", "k-EdDSA");
	static const char *const payloads[] = {"!!!", "e30=", "e3+", "A"};
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		jwt = craft_raw(keys[0], h, payloads[i]);
		verifies_to(jwt, JT_EINVAL, "payload base64");
		free(jwt);
	}
	static const char *const not_objects[] = {"[]", "\"s\"", "1", "null", "{", ""};
	for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
		jwt = craft(keys[0], h, not_objects[i]);
		verifies_to(jwt, JT_EINVAL, "payload not a JSON object");
		free(jwt);
	}
}

TEST(header_not_a_json_object)
{
	static const char *const headers[] = {"[]", "\"at+jwt\"", "null", "{", "", "x"};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char *jwt = craft(keys[0], headers[i], "{}");
		refused(jwt, "header not an object");
		free(jwt);
	}
	refused("..", "empty parts");
	refused("..AAAA", "empty parts");
}

TEST(oversized_parts)
{
	/* A header past JWT_PART_MAX (8192 decoded bytes) is refused whole. */
	size_t n = 10000;
	char *h = malloc(n + 64);
	int used = snprintf(h, n + 64, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"k-EdDSA\",\"x\":\"");
	memset(h + used, 'a', n - (size_t)used - 2);
	memcpy(h + n - 2, "\"}", 3);
	char *jwt = craft(keys[0], h, "{}");
	refused(jwt, "huge header");
	free(jwt);
	/* A payload past it too (the signature over it is good). */
	h[0] = '\0';
	header_for(h, 128, "EdDSA", "at+jwt", "k-EdDSA");
	char *p = malloc(n + 16);
	used = snprintf(p, n + 16, "{\"x\":\"");
	memset(p + used, 'b', n - (size_t)used - 2);
	memcpy(p + n - 2, "\"}", 3);
	jwt = craft(keys[0], h, p);
	refused(jwt, "huge payload");
	free(jwt);
	free(p);
	free(h);
}

TEST(export_import_round_trip)
{
	for (int i = 0; i < 3; i++) {
		uint8_t *der = NULL;
		size_t der_len = 0;
		struct jwt_key *copy = NULL;
		if (!CHECK_EQ_INT(jwt_key_export(keys[i], &der, &der_len), JT_OK) ||
		    !CHECK(der && der_len > 0))
			continue;
		if (CHECK_EQ_INT(jwt_key_import(all_algs[i], jwt_key_kid(keys[i]), der, der_len, &copy),
				 JT_OK)) {
			CHECK_EQ_INT(jwt_key_alg(copy), all_algs[i]);
			CHECK_EQ_STR(jwt_key_kid(copy), jwt_key_kid(keys[i]));
			cJSON *a = jwt_key_jwk(keys[i]), *b = jwt_key_jwk(copy);
			CHECK(a && b && cJSON_Compare(a, b, true));
			cJSON_Delete(a);
			cJSON_Delete(b);
			/* Tokens of the copy verify with the original and back. */
			char *jwt = sign_sample(copy);
			verifies_to(jwt, JT_OK, "signed by the imported copy");
			jt_free(jwt);
			jwt = sign_sample(keys[i]);
			finder_only = copy;
			CHECK_EQ_INT(verify_with(jwt, find_one, NULL), JT_OK);
			finder_only = NULL;
			jt_free(jwt);
			/* Exporting the copy gives the same DER. */
			uint8_t *der2 = NULL;
			size_t der2_len = 0;
			CHECK_EQ_INT(jwt_key_export(copy, &der2, &der2_len), JT_OK);
			CHECK(der2_len == der_len && der2 && memcmp(der, der2, der_len) == 0);
			jt_free(der2);
		}
		jwt_key_free(copy);
		/* A truncated or damaged DER is refused. */
		copy = (struct jwt_key *)1;
		CHECK_EQ_INT(jwt_key_import(all_algs[i], "x", der, der_len / 2, &copy), JT_EINVAL);
		CHECK(copy == NULL);
		CHECK_EQ_INT(jwt_key_import(all_algs[i], "x", der, 0, &copy), JT_EINVAL);
		crypto_wipe(der, der_len);
		jt_free(der);
	}
	struct jwt_key *k = (struct jwt_key *)1;
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	CHECK_EQ_INT(jwt_key_import(JWT_EDDSA, "x", junk, sizeof junk, &k), JT_EINVAL);
	CHECK(k == NULL);
}

TEST(import_refuses_another_algs_key)
{
	/* A DER of one algorithm imported as another must not become a key
	 * that claims the wrong algorithm. */
	for (int i = 0; i < 3; i++) {
		uint8_t *der = NULL;
		size_t der_len = 0;
		if (!CHECK_EQ_INT(jwt_key_export(keys[i], &der, &der_len), JT_OK))
			continue;
		for (int j = 0; j < 3; j++) {
			if (i == j)
				continue;
			struct jwt_key *k = NULL;
			enum jt_status st = jwt_key_import(all_algs[j], "x", der, der_len, &k);
			if (!CHECK_EQ_INT(st, JT_EINVAL))
				fprintf(stderr, "  %s DER imported as %s\n", jwt_alg_name(all_algs[i]),
					jwt_alg_name(all_algs[j]));
			jwt_key_free(k);
		}
		crypto_wipe(der, der_len);
		jt_free(der);
	}
}

TEST(sign_survives_allocation_failures)
{
	cJSON *claims = sample_claims();
	for (long nth = 1; nth <= 8; nth++) {
		char *jwt = (char *)1;
		jt_mem_fail_after(nth);
		enum jt_status st = jwt_sign(keys[0], claims, &jwt);
		jt_mem_fail_after(0);
		if (st == JT_OK) {
			verifies_to(jwt, JT_OK, "signed under allocation failures");
			jt_free(jwt);
			break;
		}
		CHECK_EQ_INT(st, JT_ENOMEM);
		CHECK(jwt == NULL);
	}
	cJSON_Delete(claims);
}

TEST(signatures_differ_per_key)
{
	/* Two EdDSA keys with the same kid: a token of one fails on the other. */
	struct jwt_key *a = NULL, *b = NULL;
	if (CHECK_EQ_INT(jwt_key_generate(JWT_EDDSA, "same", &a), JT_OK) &&
	    CHECK_EQ_INT(jwt_key_generate(JWT_EDDSA, "same", &b), JT_OK)) {
		cJSON *ja = jwt_key_jwk(a), *jb = jwt_key_jwk(b);
		CHECK(!cJSON_Compare(ja, jb, true));
		cJSON_Delete(ja);
		cJSON_Delete(jb);
		char *jwt = sign_sample(a);
		finder_only = b;
		CHECK_EQ_INT(verify_with(jwt, find_one, NULL), JT_ECHECKSUM);
		finder_only = a;
		CHECK_EQ_INT(verify_with(jwt, find_one, NULL), JT_OK);
		finder_only = NULL;
		jt_free(jwt);
	}
	jwt_key_free(a);
	jwt_key_free(b);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		char kid[16];
		snprintf(kid, sizeof kid, "k-%s", jwt_alg_name(all_algs[i]));
		if (jwt_key_generate(all_algs[i], kid, &keys[i]) != JT_OK) {
			fprintf(stderr, "jwt_key_generate(%s) failed\n", kid);
			return 1;
		}
	}
	RUN(alg_names);
	RUN(keys_have_their_alg_and_kid);
	RUN(jwk_fields);
	RUN(ec_coordinates_keep_leading_zeros);
	RUN(sign_and_verify_round_trip);
	RUN(verify_accepts_independent_signatures);
	RUN(empty_claims);
	RUN(unknown_kid);
	RUN(alg_none_is_refused);
	RUN(alg_must_match_the_key);
	RUN(typ_must_be_at_jwt);
	RUN(tampered_payload);
	RUN(tampered_signature);
	RUN(malformed_shape);
	RUN(malformed_base64);
	RUN(header_not_a_json_object);
	RUN(oversized_parts);
	RUN(export_import_round_trip);
	RUN(import_refuses_another_algs_key);
	RUN(sign_survives_allocation_failures);
	RUN(signatures_differ_per_key);
	for (int i = 0; i < 3; i++)
		jwt_key_free(keys[i]);
	crypto_shutdown();
	return check_summary(__FILE__);
}
