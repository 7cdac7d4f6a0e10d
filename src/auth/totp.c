/* SPDX-License-Identifier: MIT */
/* Two-factor sign-in with an authenticator app (TOTP, RFC 6238): HMAC-SHA1
 * through OpenSSL's EVP_MAC, 30-second steps, 6 digits, one step of clock
 * skew either way. The secret is sealed with the key-encryption key
 * (keyring_seal) before it reaches the store; a code is accepted once,
 * since the store keeps the last accepted step and moves it forward with
 * one conditional UPDATE (store_totp_use_step). Recovery codes are stored
 * as SHA-256 only; a new set replaces every old code at once. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "util/time.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS       6

bool auth_totp_required(const struct policy *p, const struct user *u)
{
	return strcmp(p->require_2fa, "all") == 0 ||
	       (strcmp(p->require_2fa, "admins") == 0 && u->admin);
}

bool auth_totp_must_enrol(struct store *st, const struct user *u)
{
	struct policy pol;
	bool on = false;
	if (store_policy_get(st, &pol) != JT_OK)
		return true; /* cannot tell: the gate stays shut */
	if (!auth_totp_required(&pol, u))
		return false;
	return auth_totp_enabled(st, u->id, &on) != JT_OK || !on;
}

/* RFC 4648 base32, without padding (20 bytes: 32 characters). */
static void base32(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t buf = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

/* The code of one time step (RFC 4226 section 5.3), as 6 digits. */
static bool totp_code(const uint8_t *key, size_t key_len, int64_t step, char out[TOTP_DIGITS + 1])
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;
	for (int i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (uint8_t)(step & 0xff);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	bool ok = ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
		  EVP_MAC_update(ctx, msg, sizeof msg) == 1 &&
		  EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) == 1 && mac_len == 20;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	if (ok) {
		int offset = mac[19] & 0x0f;
		uint32_t bin = ((uint32_t)(mac[offset] & 0x7f) << 24) |
			       ((uint32_t)mac[offset + 1] << 16) |
			       ((uint32_t)mac[offset + 2] << 8) | mac[offset + 3];
		snprintf(out, TOTP_DIGITS + 1, "%06u", bin % 1000000u);
	}
	crypto_wipe(mac, sizeof mac);
	return ok;
}

/* The user's secret, unsealed into key; enabled tells which state. */
static enum jt_status secret_of(struct store *st, const struct keyring *kr, int64_t user_id,
				uint8_t key[TOTP_SECRET_BYTES], struct totp *t)
{
	size_t len = 0;
	enum jt_status s = store_totp_get(st, user_id, t);
	if (s == JT_OK)
		s = keyring_unseal(kr, t->sealed, t->sealed_len, key, TOTP_SECRET_BYTES, &len);
	if (s == JT_OK && len != TOTP_SECRET_BYTES)
		s = JT_EINVAL;
	return s;
}

/* The step within one of `now` whose code is `code`, or 0. Every step is
 * computed and compared in constant time, match or not. */
static int64_t matching_step(const uint8_t key[TOTP_SECRET_BYTES], const char *code, int64_t now)
{
	char digits[TOTP_DIGITS + 1];
	size_t n = 0;
	for (const char *c = code; *c; c++) {
		if (*c == ' ')
			continue;
		if (n == TOTP_DIGITS || *c < '0' || *c > '9')
			return 0;
		digits[n++] = *c;
	}
	if (n != TOTP_DIGITS)
		return 0;
	digits[TOTP_DIGITS] = '\0';
	int64_t found = 0, step = now / TOTP_STEP_SECONDS;
	for (int64_t s = step - 1; s <= step + 1; s++) {
		char want[TOTP_DIGITS + 1];
		if (totp_code(key, TOTP_SECRET_BYTES, s, want) &&
		    hash_equal(want, digits, TOTP_DIGITS) && !found)
			found = s;
		crypto_wipe(want, sizeof want);
	}
	return found;
}

enum jt_status auth_totp_begin(struct store *st, const struct keyring *kr, int64_t user_id,
			       char secret[TOTP_SECRET_BASE32 + 1])
{
	uint8_t key[TOTP_SECRET_BYTES];
	struct totp t = {.user_id = user_id, .created_at = time_now()};
	random_bytes(key, sizeof key);
	enum jt_status s =
		keyring_seal(kr, key, sizeof key, t.sealed, sizeof t.sealed, &t.sealed_len);
	if (s == JT_OK)
		s = store_totp_put(st, &t);
	if (s == JT_OK)
		base32(key, sizeof key, secret);
	crypto_wipe(key, sizeof key);
	return s;
}

enum jt_status auth_totp_pending(struct store *st, const struct keyring *kr, int64_t user_id,
				 char secret[TOTP_SECRET_BASE32 + 1])
{
	uint8_t key[TOTP_SECRET_BYTES];
	struct totp t;
	enum jt_status s = secret_of(st, kr, user_id, key, &t);
	if (s == JT_OK && t.enabled)
		s = JT_ECONFLICT;
	if (s == JT_OK)
		base32(key, sizeof key, secret);
	crypto_wipe(key, sizeof key);
	return s;
}

/* A recovery code as typed: dashes and spaces dropped, lower case; its
 * hash. False if it is not shaped like one. */
static bool recovery_hash(const char *code, uint8_t hash[STORE_HASH_LEN])
{
	char clean[RECOVERY_CODE_HEX + 1];
	size_t n = 0;
	for (const char *c = code; *c; c++) {
		char ch = *c >= 'A' && *c <= 'F' ? (char)(*c - 'A' + 'a') : *c;
		if (ch == '-' || ch == ' ')
			continue;
		if (n == RECOVERY_CODE_HEX ||
		    !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		clean[n++] = ch;
	}
	if (n != RECOVERY_CODE_HEX)
		return false;
	hash_sha256(clean, n, hash);
	crypto_wipe(clean, sizeof clean);
	return true;
}

/* Ten fresh recovery codes as shown (xxxxx-xxxxx-xxxxx-xxxxx), and their
 * hashes, which alone are stored. */
static void recovery_codes_new(char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1],
			       uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < STORE_RECOVERY_CODES; i++) {
		uint8_t raw[RECOVERY_CODE_HEX / 2];
		char clean[RECOVERY_CODE_HEX];
		random_bytes(raw, sizeof raw);
		for (size_t j = 0; j < sizeof raw; j++) {
			clean[2 * j] = hex[raw[j] >> 4];
			clean[2 * j + 1] = hex[raw[j] & 15];
		}
		hash_sha256(clean, sizeof clean, hashes[i]);
		for (int j = 0, o = 0; j < RECOVERY_CODE_HEX; j++) {
			if (j && j % 5 == 0)
				codes[i][o++] = '-';
			codes[i][o++] = clean[j];
		}
		codes[i][RECOVERY_CODE_CHARS] = '\0';
		crypto_wipe(raw, sizeof raw);
		crypto_wipe(clean, sizeof clean);
	}
}

enum jt_status auth_totp_confirm(struct store *st, const struct keyring *kr, int64_t user_id,
				 const char *code,
				 char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1])
{
	uint8_t key[TOTP_SECRET_BYTES], hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN];
	struct totp t;
	enum jt_status s = secret_of(st, kr, user_id, key, &t);
	if (s == JT_OK && t.enabled)
		s = JT_ECONFLICT;
	int64_t step = s == JT_OK ? matching_step(key, code, time_now()) : 0;
	if (s == JT_OK && !step)
		s = JT_ENOTFOUND;
	if (s == JT_OK) {
		recovery_codes_new(codes, hashes);
		s = store_totp_enable(st, user_id, step, (const uint8_t(*)[STORE_HASH_LEN])hashes);
	}
	if (s != JT_OK)
		crypto_wipe(codes, sizeof(char[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1]));
	crypto_wipe(key, sizeof key);
	crypto_wipe(&t, sizeof t);
	return s;
}

enum jt_status auth_totp_enabled(struct store *st, int64_t user_id, bool *enabled)
{
	struct totp t;
	enum jt_status s = store_totp_get(st, user_id, &t);
	*enabled = s == JT_OK && t.enabled;
	crypto_wipe(&t, sizeof t);
	return s == JT_ENOTFOUND ? JT_OK : s;
}

/* Accepts code when it is the app's code of a step not accepted yet. */
static enum jt_status app_code_use(struct store *st, const uint8_t key[TOTP_SECRET_BYTES],
				   const struct totp *t, const char *code)
{
	int64_t step = matching_step(key, code, time_now());
	if (!step)
		return JT_ENOTFOUND;
	if (step <= t->last_step)
		return JT_ECONFLICT; /* accepted once already */
	return store_totp_use_step(st, t->user_id, step);
}

enum jt_status auth_second_factor(struct store *st, const struct keyring *kr, int64_t user_id,
				  const char *code, bool *recovery)
{
	uint8_t key[TOTP_SECRET_BYTES], hash[STORE_HASH_LEN];
	struct totp t;
	*recovery = false;
	enum jt_status s = secret_of(st, kr, user_id, key, &t);
	if (s == JT_OK && !t.enabled)
		s = JT_ENOTFOUND;
	if (s == JT_OK && recovery_hash(code, hash)) {
		*recovery = true;
		s = store_recovery_use(st, user_id, hash, time_now());
	} else if (s == JT_OK) {
		s = app_code_use(st, key, &t, code);
	}
	crypto_wipe(key, sizeof key);
	crypto_wipe(&t, sizeof t);
	return s;
}

enum jt_status auth_totp_renew_recovery(struct store *st, const struct keyring *kr, int64_t user_id,
					const char *code,
					char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1])
{
	uint8_t key[TOTP_SECRET_BYTES], hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN];
	struct totp t;
	enum jt_status s = secret_of(st, kr, user_id, key, &t);
	if (s == JT_OK && !t.enabled)
		s = JT_ENOTFOUND;
	if (s == JT_OK)
		s = app_code_use(st, key, &t, code);
	if (s == JT_OK) {
		recovery_codes_new(codes, hashes);
		s = store_recovery_replace(st, user_id, (const uint8_t(*)[STORE_HASH_LEN])hashes);
	}
	if (s != JT_OK)
		crypto_wipe(codes, sizeof(char[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1]));
	crypto_wipe(key, sizeof key);
	crypto_wipe(&t, sizeof t);
	return s;
}

enum jt_status auth_totp_reset(struct store *st, int64_t user_id)
{
	return store_totp_delete(st, user_id, true); /* one transaction: both or neither */
}
