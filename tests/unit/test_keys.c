/* SPDX-License-Identifier: MIT */
/* src/keys/keyring.c: the key-encryption key file and the keyring of JWT
 * signing keys, over a scratch SQLite store. */
#include "check.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "store/store.h"
#include "tmpdir.h"
#include "util/mem.h"
#include "util/time.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct tmpdir dir;
static char db_path[128];
static struct store *st;
static uint8_t kek[KEK_BYTES];

static bool setup(void)
{
	st = NULL;
	if (!CHECK(tmpdir_make(&dir)))
		return false;
	tmpdir_file(&dir, "jeton.db", db_path, sizeof db_path);
	random_bytes(kek, sizeof kek);
	return CHECK_EQ_INT(store_open(db_path, 2, &st), JT_OK) &&
	       CHECK_EQ_INT(store_migrate(st), JT_OK);
}

static void teardown(void)
{
	store_close(st);
	st = NULL;
	tmpdir_remove(&dir);
}

static void run_with_store(const char *name, void (*fn)(void))
{
	check_current = name;
	if (setup())
		check_run(name, fn);
	teardown();
}
#define RUN_WITH_STORE(name) run_with_store(#name, name)

/* Moves the clock (util/time.h) instead of sleeping. */
static void advance(int64_t seconds)
{
	static int64_t offset;
	offset += seconds;
	time_set_offset(offset);
}

static bool write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return false;
	bool ok = write(fd, data, n) == (ssize_t)n;
	close(fd);
	return ok;
}

static long file_size(const char *path, mode_t *mode)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return -1;
	if (mode)
		*mode = sb.st_mode & 07777;
	return (long)sb.st_size;
}

/* Runs one SQL statement on the store's file through its own connection. */
static bool sql(const char *statement)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	bool ok = sqlite3_open(db_path, &db) == SQLITE_OK &&
		  sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
		  sqlite3_exec(db, statement, NULL, NULL, &err) == SQLITE_OK;
	if (!ok)
		fprintf(stderr, "  sql: %s: %s\n", statement, err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	return CHECK(ok);
}

/* The kid in a JWT's header ("" when unreadable). */
static void kid_of(const char *jwt, char out[64])
{
	uint8_t part[512];
	size_t n = 0;
	out[0] = '\0';
	const char *dot = jwt ? strchr(jwt, '.') : NULL;
	if (!dot || sodium_base642bin(part, sizeof part - 1, jwt, (size_t)(dot - jwt), NULL, &n,
				      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return;
	cJSON *h = cJSON_ParseWithLength((const char *)part, n);
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
	if (cJSON_IsString(kid))
		snprintf(out, 64, "%s", kid->valuestring);
	cJSON_Delete(h);
}

static char *sign(struct keyring *kr, const char *sub)
{
	cJSON *claims = cJSON_CreateObject();
	cJSON_AddStringToObject(claims, "sub", sub);
	cJSON_AddNumberToObject(claims, "exp", (double)(time_now() + 600));
	char *jwt = NULL;
	if (!CHECK_EQ_INT(keyring_sign(kr, claims, &jwt), JT_OK))
		jwt = NULL;
	cJSON_Delete(claims);
	return jwt;
}

/* keyring_verify; on JT_OK checks sub came back. */
static enum jt_status verify(struct keyring *kr, const char *jwt, const char *sub)
{
	cJSON *claims = NULL;
	if (!jwt)
		return JT_EINVAL;
	enum jt_status status = keyring_verify(kr, jwt, strlen(jwt), &claims);
	if (status == JT_OK) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(claims, "sub");
		CHECK(cJSON_IsString(s) && strcmp(s->valuestring, sub) == 0);
	}
	cJSON_Delete(claims);
	return status;
}

/* The kids of the JWKS in order, and their count. */
static int jwks_kids(struct keyring *kr, char kids[][64], int max)
{
	cJSON *jwks = keyring_jwks(kr);
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
	const cJSON *k;
	int n = 0;
	CHECK(cJSON_IsArray(keys));
	cJSON_ArrayForEach(k, keys) {
		const cJSON *kid = cJSON_GetObjectItemCaseSensitive(k, "kid");
		CHECK(cJSON_IsString(kid));
		CHECK(!cJSON_HasObjectItem(k, "d")); /* never a private part */
		if (n < max && cJSON_IsString(kid))
			snprintf(kids[n], 64, "%s", kid->valuestring);
		n++;
	}
	cJSON_Delete(jwks);
	return n;
}

static bool has_kid(char kids[][64], int n, const char *kid)
{
	for (int i = 0; i < n; i++)
		if (strcmp(kids[i], kid) == 0)
			return true;
	return false;
}

/* ---- the key file ---- */

TEST(kek_is_created_once_and_read_back)
{
	char path[128];
	uint8_t a[KEK_BYTES], b[KEK_BYTES], zero[KEK_BYTES] = {0};
	mode_t mode = 0;
	tmpdir_file(&dir, "kek", path, sizeof path);
	mode_t old_umask = umask(0);
	enum jt_status status = keyring_load_kek(path, a);
	umask(old_umask);
	if (!CHECK_EQ_INT(status, JT_OK))
		return;
	CHECK_EQ_INT(file_size(path, &mode), KEK_BYTES);
	CHECK_EQ_INT(mode, 0600);
	CHECK(memcmp(a, zero, KEK_BYTES) != 0);

	/* The file holds exactly the key returned. */
	uint8_t raw[KEK_BYTES + 1];
	int fd = open(path, O_RDONLY);
	CHECK_EQ_INT(read(fd, raw, sizeof raw), KEK_BYTES);
	close(fd);
	CHECK_EQ_MEM(raw, a, KEK_BYTES);

	/* Loaded again: the same key, the file unchanged. */
	memset(b, 0, sizeof b);
	CHECK_EQ_INT(keyring_load_kek(path, b), JT_OK);
	CHECK_EQ_MEM(b, a, KEK_BYTES);
	CHECK_EQ_INT(file_size(path, NULL), KEK_BYTES);

	/* Another file: another key. */
	tmpdir_file(&dir, "kek2", path, sizeof path);
	CHECK_EQ_INT(keyring_load_kek(path, b), JT_OK);
	CHECK(memcmp(a, b, KEK_BYTES) != 0);
}

TEST(kek_file_is_0600_whatever_the_umask)
{
	char path[128];
	uint8_t k[KEK_BYTES];
	mode_t mode = 0;
	tmpdir_file(&dir, "kek", path, sizeof path);
	mode_t old_umask = umask(002);
	CHECK_EQ_INT(keyring_load_kek(path, k), JT_OK);
	umask(old_umask);
	CHECK_EQ_INT(file_size(path, &mode), KEK_BYTES);
	CHECK_EQ_INT(mode & 077, 0);
}

TEST(kek_of_the_wrong_size_is_refused)
{
	static const size_t sizes[] = {0, 1, KEK_BYTES - 1, KEK_BYTES + 1, 2 * KEK_BYTES, 4096};
	uint8_t data[4096];
	char path[128];
	tmpdir_file(&dir, "kek", path, sizeof path);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t k[KEK_BYTES];
		memset(data, 0x5a, sizes[i]);
		if (!CHECK(write_file(path, data, sizes[i], 0600)))
			return;
		if (!CHECK_EQ_INT(keyring_load_kek(path, k), JT_EINVAL))
			fprintf(stderr, "  a key file of %zu bytes was accepted\n", sizes[i]);
		/* The file is left as it was, never replaced. */
		CHECK_EQ_INT(file_size(path, NULL), (long)sizes[i]);
	}
	/* Exactly 32 bytes: taken as they are. */
	uint8_t k[KEK_BYTES];
	memset(data, 0x5a, KEK_BYTES);
	write_file(path, data, KEK_BYTES, 0600);
	CHECK_EQ_INT(keyring_load_kek(path, k), JT_OK);
	CHECK_EQ_MEM(k, data, KEK_BYTES);
}

TEST(kek_path_problems)
{
	uint8_t k[KEK_BYTES];
	char path[160];
	snprintf(path, sizeof path, "%s/missing-dir/kek", dir.path);
	CHECK_EQ_INT(keyring_load_kek(path, k), JT_EIO);
	CHECK_EQ_INT(file_size(path, NULL), -1);
	/* A directory is not a key file. */
	CHECK(keyring_load_kek(dir.path, k) != JT_OK);
}

/* ---- the keyring ---- */

TEST(open_creates_a_first_key_that_signs_and_verifies)
{
	struct keyring *kr = NULL;
	char kids[4][64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	CHECK_EQ_INT(jwks_kids(kr, kids, 4), 1);
	char *jwt = sign(kr, "alice");
	char kid[64];
	kid_of(jwt, kid);
	CHECK_EQ_STR(kid, kids[0]);
	CHECK_EQ_INT(strlen(kid), 16);
	CHECK_EQ_INT(verify(kr, jwt, "alice"), JT_OK);

	/* The key is in the store, sealed: no DER private key in clear. */
	struct signing_key *items = NULL;
	size_t n = 0;
	CHECK_EQ_INT(store_key_list(st, time_now(), &items, &n), JT_OK);
	if (CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_STR(items[0].kid, kid);
		CHECK_EQ_STR(items[0].alg, "EdDSA");
		CHECK_EQ_INT(items[0].retired_at, 0);
		CHECK_EQ_INT(items[0].unpublish_at, 0);
		CHECK(items[0].sealed_len > crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES);
		cJSON *pub = cJSON_Parse(items[0].public_jwk);
		CHECK(pub && !cJSON_HasObjectItem(pub, "d"));
		cJSON_Delete(pub);
	}
	store_list_free(items);

	/* Signing again uses the same key; nothing new is created. */
	char *jwt2 = sign(kr, "bob");
	char kid2[64];
	kid_of(jwt2, kid2);
	CHECK_EQ_STR(kid2, kid);
	CHECK_EQ_INT(jwks_kids(kr, kids, 4), 1);

	/* Garbage and tampering. */
	CHECK(verify(kr, "not.a.jwt", "") != JT_OK);
	CHECK(verify(kr, "x", "") != JT_OK);
	if (jwt2) {
		jwt2[strlen(jwt2) - 3] ^= 1;
		CHECK(verify(kr, jwt2, "bob") != JT_OK);
	}
	jt_free(jwt);
	jt_free(jwt2);
	keyring_free(kr);
	keyring_free(NULL);
}

TEST(every_algorithm)
{
	/* Each on a store of its own. */
	static const enum jwt_alg algs[] = {JWT_EDDSA, JWT_ES256, JWT_RS256};
	for (size_t i = 0; i < 3; i++) {
		struct keyring *kr = NULL;
		if (!setup() || !CHECK_EQ_INT(keyring_open(st, kek, algs[i], 0, &kr), JT_OK)) {
			teardown();
			continue;
		}
		char *jwt = sign(kr, "x");
		CHECK_EQ_INT(verify(kr, jwt, "x"), JT_OK);
		cJSON *jwks = keyring_jwks(kr);
		const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(jwks, "keys"), 0);
		const cJSON *alg = cJSON_GetObjectItemCaseSensitive(first, "alg");
		CHECK(cJSON_IsString(alg) && strcmp(alg->valuestring, jwt_alg_name(algs[i])) == 0);
		cJSON_Delete(jwks);
		jt_free(jwt);
		keyring_free(kr);
		teardown();
	}
}

TEST(rotation_keeps_old_tokens_valid)
{
	struct keyring *kr = NULL;
	char kids[8][64], first[64], rotated[33], kid[64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	char *old = sign(kr, "old");
	kid_of(old, first);
	advance(1); /* the new key is a second younger (see the next test) */
	if (!CHECK_EQ_INT(keyring_rotate(kr, rotated), JT_OK)) {
		keyring_free(kr);
		return;
	}
	CHECK_EQ_INT(strlen(rotated), 16);
	CHECK(strcmp(rotated, first) != 0);

	/* Both published; new tokens carry the new kid; the old one holds. */
	int n = jwks_kids(kr, kids, 8);
	CHECK_EQ_INT(n, 2);
	CHECK(has_kid(kids, n, first) && has_kid(kids, n, rotated));
	char *fresh = sign(kr, "new");
	kid_of(fresh, kid);
	CHECK_EQ_STR(kid, rotated);
	CHECK_EQ_INT(verify(kr, fresh, "new"), JT_OK);
	CHECK_EQ_INT(verify(kr, old, "old"), JT_OK);

	/* The old key is retired, to be unpublished a day and a bit later. */
	struct signing_key *items = NULL;
	size_t count = 0;
	CHECK_EQ_INT(store_key_list(st, time_now(), &items, &count), JT_OK);
	for (size_t i = 0; i < count; i++) {
		if (strcmp(items[i].kid, first) == 0) {
			CHECK(items[i].retired_at > 0);
			CHECK(items[i].unpublish_at >= items[i].retired_at + KEYS_JWT_TTL_MAX);
		} else {
			CHECK_EQ_STR(items[i].kid, rotated);
			CHECK_EQ_INT(items[i].retired_at, 0);
		}
	}
	store_list_free(items);

	/* A second keyring on the same store (another node) sees the same. */
	struct keyring *other = NULL;
	if (CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &other), JT_OK)) {
		CHECK_EQ_INT(jwks_kids(other, kids, 8), 2);
		CHECK_EQ_INT(verify(other, old, "old"), JT_OK);
		CHECK_EQ_INT(verify(other, fresh, "new"), JT_OK);
		char *theirs = sign(other, "theirs");
		kid_of(theirs, kid);
		CHECK_EQ_STR(kid, rotated);
		jt_free(theirs);
	}
	keyring_free(other);
	jt_free(old);
	jt_free(fresh);
	keyring_free(kr);
}

TEST(new_tokens_carry_the_newest_kid_after_quick_rotations)
{
	/* Rotations within one second: every new token must name the key just
	 * made, never a retired one, and nothing rotates on its own. */
	struct keyring *kr = NULL;
	char rotated[33], kid[64], kids[16][64];
	char *tokens[8] = {0};
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	for (int i = 0; i < 8; i++) {
		if (!CHECK_EQ_INT(keyring_rotate(kr, rotated), JT_OK))
			break;
		tokens[i] = sign(kr, "q");
		kid_of(tokens[i], kid);
		if (!CHECK_EQ_STR(kid, rotated))
			fprintf(stderr, "  rotation %d\n", i + 1);
		/* The first key, then one per rotation: no extra ones. */
		CHECK_EQ_INT(jwks_kids(kr, kids, 16), i + 2);
	}
	for (int i = 0; i < 8; i++) {
		CHECK_EQ_INT(verify(kr, tokens[i], "q"), JT_OK);
		jt_free(tokens[i]);
	}
	keyring_free(kr);
}

TEST(reopen_keeps_the_keys)
{
	struct keyring *kr = NULL;
	char kid[64], kid2[64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_ES256, 0, &kr), JT_OK))
		return;
	char *jwt = sign(kr, "a");
	kid_of(jwt, kid);
	keyring_free(kr);
	kr = NULL;
	/* The same KEK: no new key, the token still verifies. */
	if (CHECK_EQ_INT(keyring_open(st, kek, JWT_ES256, 0, &kr), JT_OK)) {
		char kids[4][64];
		CHECK_EQ_INT(jwks_kids(kr, kids, 4), 1);
		CHECK_EQ_INT(verify(kr, jwt, "a"), JT_OK);
		char *jwt2 = sign(kr, "b");
		kid_of(jwt2, kid2);
		CHECK_EQ_STR(kid2, kid);
		jt_free(jwt2);
	}
	keyring_free(kr);
	jt_free(jwt);
}

TEST(changing_the_algorithm_rotates)
{
	struct keyring *kr = NULL;
	char kid[64], kids[4][64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	char *ed = sign(kr, "ed");
	keyring_free(kr);
	kr = NULL;
	advance(1); /* a restart with a new configuration */
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_RS256, 0, &kr), JT_OK)) {
		jt_free(ed);
		return;
	}
	char *rs = sign(kr, "rs");
	char *dot = rs ? strchr(rs, '.') : NULL;
	uint8_t header[256];
	size_t n = 0;
	if (CHECK(dot) &&
	    CHECK(sodium_base642bin(header, sizeof header - 1, rs, (size_t)(dot - rs), NULL, &n,
				    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)) {
		header[n] = '\0';
		CHECK(strstr((char *)header, "\"alg\":\"RS256\"") != NULL);
	}
	CHECK_EQ_INT(jwks_kids(kr, kids, 4), 2);
	kid_of(ed, kid);
	CHECK(has_kid(kids, 2, kid));
	CHECK_EQ_INT(verify(kr, ed, "ed"), JT_OK);
	CHECK_EQ_INT(verify(kr, rs, "rs"), JT_OK);
	jt_free(ed);
	jt_free(rs);
	keyring_free(kr);
}

TEST(another_kek_cannot_open_the_keys)
{
	struct keyring *kr = NULL, *other = NULL;
	uint8_t kek2[KEK_BYTES];
	char kid[64], kid2[64], kids[4][64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	char *jwt = sign(kr, "a");
	kid_of(jwt, kid);
	keyring_free(kr);

	memcpy(kek2, kek, sizeof kek2);
	kek2[0] ^= 1; /* one bit off */
	if (!CHECK_EQ_INT(keyring_open(st, kek2, JWT_EDDSA, 0, &other), JT_OK)) {
		jt_free(jwt);
		return;
	}
	/* It made its own key and publishes only what it can open. */
	int n = jwks_kids(other, kids, 4);
	CHECK_EQ_INT(n, 1);
	CHECK(!has_kid(kids, n, kid));
	CHECK_EQ_INT(verify(other, jwt, "a"), JT_ENOTFOUND);
	char *jwt2 = sign(other, "b");
	kid_of(jwt2, kid2);
	CHECK(kid2[0] && strcmp(kid2, kid) != 0);
	CHECK_EQ_INT(verify(other, jwt2, "b"), JT_OK);
	jt_free(jwt);
	jt_free(jwt2);
	keyring_free(other);
}

TEST(unpublished_keys_stop_verifying)
{
	struct keyring *kr = NULL;
	char first[64], rotated[33], kids[4][64], statement[256];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 0, &kr), JT_OK))
		return;
	char *old = sign(kr, "old");
	kid_of(old, first);
	advance(1);
	CHECK_EQ_INT(keyring_rotate(kr, rotated), JT_OK);
	char *fresh = sign(kr, "new");
	CHECK_EQ_INT(verify(kr, old, "old"), JT_OK);

	/* The old key's unpublish time has passed. */
	snprintf(statement, sizeof statement,
		 "UPDATE signing_keys SET unpublish_at = %lld WHERE kid = '%s'",
		 (long long)time_now() - 1, first);
	sql(statement);
	/* Held keys are reloaded once a second. */
	advance(1);
	CHECK_EQ_INT(verify(kr, old, "old"), JT_ENOTFOUND);
	CHECK_EQ_INT(verify(kr, fresh, "new"), JT_OK);
	int n = jwks_kids(kr, kids, 4);
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && strcmp(kids[0], rotated) == 0);
	jt_free(old);
	jt_free(fresh);
	keyring_free(kr);
}

TEST(keys_older_than_rotate_seconds_are_replaced)
{
	struct keyring *kr = NULL;
	char a[64], b[64];
	if (!CHECK_EQ_INT(keyring_open(st, kek, JWT_EDDSA, 1, &kr), JT_OK))
		return;
	char *first = sign(kr, "1");
	kid_of(first, a);
	advance(2);
	char *second = sign(kr, "2");
	kid_of(second, b);
	CHECK(a[0] && b[0] && strcmp(a, b) != 0);
	CHECK_EQ_INT(verify(kr, first, "1"), JT_OK);
	CHECK_EQ_INT(verify(kr, second, "2"), JT_OK);
	jt_free(first);
	jt_free(second);
	keyring_free(kr);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN_WITH_STORE(kek_is_created_once_and_read_back);
	RUN_WITH_STORE(kek_file_is_0600_whatever_the_umask);
	RUN_WITH_STORE(kek_of_the_wrong_size_is_refused);
	RUN_WITH_STORE(kek_path_problems);
	RUN_WITH_STORE(open_creates_a_first_key_that_signs_and_verifies);
	RUN(every_algorithm);
	RUN_WITH_STORE(rotation_keeps_old_tokens_valid);
	RUN_WITH_STORE(new_tokens_carry_the_newest_kid_after_quick_rotations);
	RUN_WITH_STORE(reopen_keeps_the_keys);
	RUN_WITH_STORE(changing_the_algorithm_rotates);
	RUN_WITH_STORE(another_kek_cannot_open_the_keys);
	RUN_WITH_STORE(unpublished_keys_stop_verifying);
	RUN_WITH_STORE(keys_older_than_rotate_seconds_are_replaced);
	crypto_shutdown();
	return check_summary(__FILE__);
}
