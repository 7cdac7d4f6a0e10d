/* SPDX-License-Identifier: MIT */
/* JWT access tokens (RFC 9068): signing keys, their public JWKs, signing
 * and verifying. Keys come from OpenSSL 3; callers store them. */
#ifndef JETON_JWT_H
#define JETON_JWT_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "util/status.h"

#define JWT_KID_MAX 32

enum jwt_alg {
	JWT_EDDSA = 0, /* Ed25519, the default */
	JWT_ES256 = 1, /* ECDSA P-256 with SHA-256 */
	JWT_RS256 = 2, /* RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 */
};

struct jwt_key;

const char *jwt_alg_name(enum jwt_alg alg);
enum jt_status jwt_alg_parse(const char *name, enum jwt_alg *out);

/* A fresh key pair. */
enum jt_status jwt_key_generate(enum jwt_alg alg, const char *kid, struct jwt_key **out);
/* The private key as DER (PKCS#8 or traditional), jt_alloc'd; the caller
 * wipes and frees it. */
enum jt_status jwt_key_export(const struct jwt_key *k, uint8_t **der, size_t *der_len);
enum jt_status jwt_key_import(enum jwt_alg alg, const char *kid, const uint8_t *der,
			      size_t der_len, struct jwt_key **out);
void jwt_key_free(struct jwt_key *k); /* NULL is fine */
enum jwt_alg jwt_key_alg(const struct jwt_key *k);
const char *jwt_key_kid(const struct jwt_key *k);

/* The public key as a JWK (kty, crv/x/y or n/e, kid, alg, use). */
cJSON *jwt_key_jwk(const struct jwt_key *k);

/* header {alg, typ: at+jwt, kid} . claims . signature, jt_alloc'd. */
enum jt_status jwt_sign(const struct jwt_key *k, const cJSON *claims, char **out);

/* Checks shape, header (typ at+jwt; alg must be the found key's: no
 * "none", no algorithm switch) and signature; on JT_OK *claims is the
 * parsed payload (the caller checks exp, iss and revocation).
 * JT_EINVAL: not a JWT; JT_ENOTFOUND: unknown kid or mismatched alg;
 * JT_ECHECKSUM: bad signature. */
enum jt_status jwt_verify(const char *jwt, size_t jwt_len,
			  const struct jwt_key *(*find_key)(void *arg, const char *kid),
			  void *arg, cJSON **claims);

#endif
