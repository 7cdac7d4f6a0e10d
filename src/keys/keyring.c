/* SPDX-License-Identifier: MIT */
/* The keyring of JWT signing keys: the key-encryption key file, sealing
 * private keys, loading, signing, rotating. */
#include "keys/keys.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(KEK_BYTES == SEAL_KEY_BYTES, "the key-encryption key seals with seal_with_key");

#define KEYRING_MAX LIMIT_SIGNING_KEYS
#define KEYRING_RELOAD_MS 1000  /* other nodes' rotations show within this */

enum jt_status keyring_load_kek(const char *path, uint8_t kek[KEK_BYTES])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			log_error("cannot create the key file %s: %s", path, strerror(errno));
			return JT_EIO;
		}
		random_bytes(kek, KEK_BYTES);
		ssize_t w = write(fd, kek, KEK_BYTES);
		bool ok = w == KEK_BYTES && fsync(fd) == 0;
		close(fd);
		if (!ok) {
			log_error("cannot write the key file %s", path);
			unlink(path);
			return JT_EIO;
		}
		log_info("created the key-encryption key %s (keep it secret; share it with every node)",
			 path);
		return JT_OK;
	}
	if (fd < 0) {
		log_error("cannot open the key file %s: %s", path, strerror(errno));
		return JT_EIO;
	}
	struct stat sb;
	bool sized = fstat(fd, &sb) == 0 && sb.st_size == KEK_BYTES;
	if (sized && (sb.st_mode & 077))
		log_warn("the key file %s is readable by others: chmod 600 it", path);
	ssize_t r = sized ? read(fd, kek, KEK_BYTES) : -1;
	close(fd);
	if (r != KEK_BYTES) {
		log_error("the key file %s must hold exactly %d bytes", path, KEK_BYTES);
		return JT_EINVAL;
	}
	return JT_OK;
}

struct keyring {
	struct store *store;
	uint8_t kek[KEK_BYTES];
	enum jwt_alg alg;
	int64_t rotate_seconds;
	pthread_rwlock_t lock;
	struct jwt_key *keys[KEYRING_MAX]; /* newest first; keys[0] signs if !retired[0] */
	int64_t created[KEYRING_MAX];
	bool retired[KEYRING_MAX];
	size_t nkeys;
	int64_t loaded_ms;
	pthread_mutex_t rotate_mu;          /* one rotation at a time in this process */
};

static void drop_keys(struct keyring *kr)
{
	for (size_t i = 0; i < kr->nkeys; i++)
		jwt_key_free(kr->keys[i]);
	kr->nkeys = 0;
}

/* Replaces the held keys with the store's. Caller holds the write lock. */
static enum jt_status reload(struct keyring *kr)
{
	struct signing_key *items = NULL;
	size_t n = 0;
	enum jt_status st = store_key_list(kr->store, time_now(), &items, &n);
	if (st != JT_OK)
		return st;
	drop_keys(kr);
	for (size_t i = 0; i < n && kr->nkeys < KEYRING_MAX; i++) {
		struct signing_key *k = &items[i];
		uint8_t der[4096];
		enum jwt_alg alg;
		size_t der_len = 0;
		if (jwt_alg_parse(k->alg, &alg) != JT_OK)
			continue;
		if (open_with_key(kr->kek, k->sealed, k->sealed_len, der, sizeof der, &der_len) !=
		    JT_OK) {
			log_error("signing key %s cannot be opened: wrong key file?", k->kid);
			continue;
		}
		struct jwt_key *key = NULL;
		if (jwt_key_import(alg, k->kid, der, der_len, &key) == JT_OK) {
			kr->keys[kr->nkeys] = key;
			kr->created[kr->nkeys] = k->created_at;
			kr->retired[kr->nkeys] = k->retired_at != 0;
			kr->nkeys++;
		}
		crypto_wipe(der, sizeof der);
	}
	crypto_wipe(items, n * sizeof *items);
	store_list_free(items);
	kr->loaded_ms = time_mono_ms();
	return JT_OK;
}

/* Reloads when the held keys are more than a second old. */
static void refresh(struct keyring *kr)
{
	pthread_rwlock_rdlock(&kr->lock);
	bool stale = time_mono_ms() - kr->loaded_ms >= KEYRING_RELOAD_MS;
	pthread_rwlock_unlock(&kr->lock);
	if (!stale)
		return;
	pthread_rwlock_wrlock(&kr->lock);
	if (time_mono_ms() - kr->loaded_ms >= KEYRING_RELOAD_MS && reload(kr) != JT_OK)
		log_warn("signing keys could not be reloaded; keeping the ones held");
	pthread_rwlock_unlock(&kr->lock);
}

void keyring_reload(struct keyring *kr)
{
	pthread_rwlock_wrlock(&kr->lock);
	if (reload(kr) != JT_OK)
		log_warn("signing keys could not be reloaded; keeping the ones held");
	pthread_rwlock_unlock(&kr->lock);
}

static bool current_ok(struct keyring *kr);

enum jt_status keyring_open(struct store *st, const uint8_t kek[KEK_BYTES], enum jwt_alg alg,
			    int64_t rotate_seconds, struct keyring **out)
{
	struct keyring *kr = jt_calloc(1, sizeof *kr);
	*out = NULL;
	if (!kr)
		return JT_ENOMEM;
	kr->store = st;
	memcpy(kr->kek, kek, KEK_BYTES);
	kr->alg = alg;
	kr->rotate_seconds = rotate_seconds;
	pthread_rwlock_init(&kr->lock, NULL);
	pthread_mutex_init(&kr->rotate_mu, NULL);
	enum jt_status status = reload(kr);
	if (status == JT_OK && !current_ok(kr))
		status = keyring_rotate(kr, NULL); /* the first key, or a due rotation */
	if (status != JT_OK) {
		keyring_free(kr);
		return status;
	}
	*out = kr;
	return JT_OK;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	drop_keys(kr);
	pthread_rwlock_destroy(&kr->lock);
	pthread_mutex_destroy(&kr->rotate_mu);
	crypto_wipe(kr->kek, sizeof kr->kek);
	jt_free(kr);
}

enum jt_status keyring_rotate(struct keyring *kr, char kid[33])
{
	struct signing_key k;
	struct jwt_key *key = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	enum jt_status st;

	memset(&k, 0, sizeof k);
	random_base62(k.kid, 16);
	snprintf(k.alg, sizeof k.alg, "%s", jwt_alg_name(kr->alg));
	k.created_at = time_now();
	st = jwt_key_generate(kr->alg, k.kid, &key);
	if (st == JT_OK)
		st = jwt_key_export(key, &der, &der_len);
	if (st == JT_OK)
		st = seal_with_key(kr->kek, der, der_len, k.sealed, sizeof k.sealed, &k.sealed_len);
	if (st == JT_OK) {
		cJSON *jwk = jwt_key_jwk(key);
		char *text = jwk ? cJSON_PrintUnformatted(jwk) : NULL;
		if (text && strlen(text) < sizeof k.public_jwk)
			snprintf(k.public_jwk, sizeof k.public_jwk, "%s", text);
		else
			st = JT_ENOMEM;
		cJSON_free(text);
		cJSON_Delete(jwk);
	}
	if (st == JT_OK)
		st = store_key_insert(kr->store, &k);
	if (st == JT_OK)
		st = store_key_retire_others(kr->store, k.kid, k.created_at,
					     k.created_at + KEYS_JWT_TTL_MAX + 60);
	if (der)
		crypto_wipe(der, der_len);
	jt_free(der);
	jwt_key_free(key);
	crypto_wipe(&k.sealed, sizeof k.sealed);
	if (st == JT_OK) {
		if (kid)
			memcpy(kid, k.kid, sizeof k.kid);
		pthread_rwlock_wrlock(&kr->lock);
		st = reload(kr);
		pthread_rwlock_unlock(&kr->lock);
		log_info("new signing key %s (%s)", k.kid, k.alg);
	}
	return st;
}

/* True if keys[0] signs, in the configured algorithm, and is young enough. */
static bool current_ok(struct keyring *kr)
{
	return kr->nkeys && !kr->retired[0] && jwt_key_alg(kr->keys[0]) == kr->alg &&
	       (!kr->rotate_seconds || time_now() - kr->created[0] < kr->rotate_seconds);
}

enum jt_status keyring_sign(struct keyring *kr, const cJSON *claims, char **out)
{
	refresh(kr);
	pthread_rwlock_rdlock(&kr->lock);
	bool ok = current_ok(kr);
	pthread_rwlock_unlock(&kr->lock);
	if (!ok) {
		pthread_mutex_lock(&kr->rotate_mu);
		pthread_rwlock_rdlock(&kr->lock);
		ok = current_ok(kr);
		pthread_rwlock_unlock(&kr->lock);
		enum jt_status st = ok ? JT_OK : keyring_rotate(kr, NULL);
		pthread_mutex_unlock(&kr->rotate_mu);
		if (st != JT_OK)
			return st;
	}
	pthread_rwlock_rdlock(&kr->lock);
	enum jt_status st = kr->nkeys ? jwt_sign(kr->keys[0], claims, out) : JT_ESTORE;
	pthread_rwlock_unlock(&kr->lock);
	return st;
}

static const struct jwt_key *find(void *arg, const char *kid)
{
	struct keyring *kr = arg;
	for (size_t i = 0; i < kr->nkeys; i++)
		if (strcmp(jwt_key_kid(kr->keys[i]), kid) == 0)
			return kr->keys[i];
	return NULL;
}

enum jt_status keyring_verify(struct keyring *kr, const char *jwt, size_t jwt_len,
			      cJSON **claims)
{
	refresh(kr);
	pthread_rwlock_rdlock(&kr->lock);
	enum jt_status st = jwt_verify(jwt, jwt_len, find, kr, claims);
	pthread_rwlock_unlock(&kr->lock);
	return st;
}

cJSON *keyring_jwks(struct keyring *kr)
{
	refresh(kr);
	cJSON *o = cJSON_CreateObject();
	cJSON *keys = cJSON_AddArrayToObject(o, "keys");
	pthread_rwlock_rdlock(&kr->lock);
	for (size_t i = 0; keys && i < kr->nkeys; i++)
		cJSON_AddItemToArray(keys, jwt_key_jwk(kr->keys[i]));
	pthread_rwlock_unlock(&kr->lock);
	return o;
}

enum jt_status keyring_seal(const struct keyring *kr, const uint8_t *plain, size_t len,
			    uint8_t *out, size_t out_size, size_t *out_len)
{
	return seal_with_key(kr->kek, plain, len, out, out_size, out_len);
}

enum jt_status keyring_unseal(const struct keyring *kr, const uint8_t *sealed, size_t len,
			      uint8_t *out, size_t out_size, size_t *out_len)
{
	return open_with_key(kr->kek, sealed, len, out, out_size, out_len);
}
