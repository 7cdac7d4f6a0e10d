/* SPDX-License-Identifier: MIT */
/* Signing keys for JWT access tokens.
 *
 * The private keys live in the store, sealed with a key-encryption key
 * (32 random bytes in JETON_KEY_FILE, created mode 0600 when absent;
 * every node of a deployment must have the same file). The keyring holds
 * the keys still published: the one that signs, and retired ones until no
 * token they signed can be live. It reloads from the store every second,
 * and at once when the store tells of another node's rotation
 * (keyring_reload), so a rotation made by one node (or the CLI) reaches all
 * of them.
 * All of it is keyring.c's. */
#ifndef JETON_KEYS_H
#define JETON_KEYS_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "store/store.h"
#include "token/jwt.h"

#define KEK_BYTES 32
#define KEYS_JWT_TTL_MAX 86400 /* JWT lifetimes are capped: revocation is only seen by jeton */

/* Reads the key-encryption key from path, creating it (mode 0600, random)
 * when the file does not exist. */
enum jt_status keyring_load_kek(const char *path, uint8_t kek[KEK_BYTES]);

struct keyring;

/* alg: the algorithm of new keys. rotate_seconds: a signing key older than
 * this is replaced when it next signs (0 = only by keyring_rotate). */
enum jt_status keyring_open(struct store *st, const uint8_t kek[KEK_BYTES], enum jwt_alg alg,
			    int64_t rotate_seconds, struct keyring **out);
void keyring_free(struct keyring *kr); /* NULL is fine */

/* Signs claims with the current key, creating the first key if none. */
enum jt_status keyring_sign(struct keyring *kr, const cJSON *claims, char **out);
/* Verifies a JWT's header and signature against the published keys. */
enum jt_status keyring_verify(struct keyring *kr, const char *jwt, size_t jwt_len,
			      cJSON **claims);
/* {"keys": [every published public key]}. */
cJSON *keyring_jwks(struct keyring *kr);
/* Adds a new signing key; the others stop signing and stay published for
 * KEYS_JWT_TTL_MAX. kid (33 bytes) receives the new key's id. */
enum jt_status keyring_rotate(struct keyring *kr, char kid[33]);
/* Reloads the keys from the store now: another node added or retired one.
 * Keeps the keys held if the store does not answer. */
void keyring_reload(struct keyring *kr);

/* Seals a small secret (a TOTP secret) with the key-encryption key, as
 * the signing keys are (seal_with_key): out_size must hold SEAL_OVERHEAD
 * more bytes than the secret, else JT_ETOOBIG. */
enum jt_status keyring_seal(const struct keyring *kr, const uint8_t *plain, size_t len,
			    uint8_t *out, size_t out_size, size_t *out_len);
/* Opens what keyring_seal sealed; JT_EINVAL when it was not sealed with
 * this key or does not fit. */
enum jt_status keyring_unseal(const struct keyring *kr, const uint8_t *sealed, size_t len,
			      uint8_t *out, size_t out_size, size_t *out_len);

#endif
