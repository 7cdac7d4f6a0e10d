/* SPDX-License-Identifier: MIT */
/* Cryptographic building blocks, all from OpenSSL 3 and libsodium:
 * set-up and wiping (crypto.c), randomness (random.c), SHA-256 and
 * constant-time comparison (hash.c), argon2id password hashing
 * (password.c), ECDSA P-256 signature checks (signature.c), sealing
 * under a key derived from a token (seal.c); and JSON
 * that holds a secret, freed and serialised without
 * copies left behind (secret_json.c). */
#ifndef JETON_CRYPTO_H
#define JETON_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/limits.h"
#include "util/status.h"

#define HASH_SHA256_LEN 32

/* ---- crypto.c ---- */

/* Once at start-up, before any other call here. JT_EIO if the system's
 * random source or the SHA-256 implementation cannot be set up. */
enum jt_status crypto_init(void);
void crypto_shutdown(void);

/* Overwrites n bytes of a secret in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t n);

/* ---- random.c ---- */

/* Fills buf with n bytes from the kernel's CSPRNG. Never fails after init. */
void random_bytes(void *buf, size_t n);

/* Writes n characters drawn uniformly from [0-9A-Za-z] (rejection sampling,
 * no modulo bias) into out, and a NUL after them. */
void random_base62(char *out, size_t n);

/* ---- hash.c ---- */

void hash_sha256(const void *in, size_t in_len, uint8_t out[HASH_SHA256_LEN]);

/* Constant-time equality of two n-byte buffers. */
bool hash_equal(const void *a, const void *b, size_t n);

/* ---- password.c ---- */

/* Writes the argon2id encoded hash of password into out. Costs tens of
 * milliseconds and ~19 MiB: call it off the request hot path. */
enum jt_status password_hash(const char *password, size_t password_len,
			     char out[LIMIT_PASSWORD_HASH]);

/* True if password matches the encoded hash (constant time in the
 * password). False for a NULL or empty hash. */
bool password_verify(const char *encoded, const char *password, size_t password_len);

#define PASSWORD_GENERATED_CHARS 20 /* 119 bits of base62 */

/* Writes a fresh random password of PASSWORD_GENERATED_CHARS base62
 * characters and a NUL into out. */
void password_generate(char out[PASSWORD_GENERATED_CHARS + 1]);

/* ---- signature.c ---- */

#define SIGNATURE_KEY_ID_CHARS 64 /* hex SHA-256 */
/* key_id: the hex SHA-256 of an ECDSA P-256 public key's DER
 * (SubjectPublicKeyInfo) form. JT_EINVAL unless pem is such a key. */
enum jt_status signature_key_id(const char *pem, char key_id[SIGNATURE_KEY_ID_CHARS + 1]);
/* True if sig_b64 (base64 of a DER ECDSA signature) signs msg's SHA-256
 * with the ECDSA P-256 public key in pem. */
bool signature_verify(const char *pem, const void *msg, size_t msg_len, const char *sig_b64,
		      size_t sig_b64_len);

/* ---- seal.c ---- */

#define SEAL_OVERHEAD  40 /* bytes: the nonce and the MAC */
#define SEAL_KEY_BYTES 32
/* Seals len bytes of plain into out (len + SEAL_OVERHEAD bytes, *out_len)
 * under key (XSalsa20-Poly1305, a random nonce in front); JT_ETOOBIG when
 * out_max cannot hold it. */
enum jt_status seal_with_key(const uint8_t key[SEAL_KEY_BYTES], const void *plain, size_t len,
			     uint8_t *out, size_t out_max, size_t *out_len);
/* Opens what seal_with_key sealed with key; JT_EINVAL when it was sealed
 * with another key, was altered, or does not fit plain_max. */
enum jt_status open_with_key(const uint8_t key[SEAL_KEY_BYTES], const uint8_t *sealed, size_t len,
			     void *plain, size_t plain_max, size_t *plain_len);
/* Seals len bytes of plain into out (len + SEAL_OVERHEAD bytes, *out_len)
 * under a key derived from secret, so that only its holder can open them:
 * secret must be a high-entropy random string, such as a token. */
enum jt_status seal_by_secret(const char *secret, size_t secret_len, const void *plain, size_t len,
			      uint8_t *out, size_t out_max, size_t *out_len);
/* Opens what seal_by_secret sealed with the same secret; JT_EINVAL when
 * it was sealed with another or altered. */
enum jt_status open_by_secret(const char *secret, size_t secret_len, const uint8_t *sealed,
			      size_t len, void *plain, size_t plain_max, size_t *plain_len);

/* ---- secret_json.c ---- */

struct cJSON;

/* cJSON_Delete(item) after wiping every string it frees (values and keys
 * of item, of its children and of the siblings after it). NULL is fine. */
void secret_json_delete(struct cJSON *item);
/* item serialised (compact unless formatted) into one jt_alloc'd buffer
 * of ours: *len bytes and a NUL, or NULL when out of memory or past max
 * bytes. Unlike cJSON_Print, it leaves no copy of the text behind (every
 * buffer that was too small is wiped before it is freed). The caller wipes
 * the result (crypto_wipe) before freeing it. */
char *secret_json_print(const struct cJSON *item, bool formatted, size_t max, size_t *len);

#endif
