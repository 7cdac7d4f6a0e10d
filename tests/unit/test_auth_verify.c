/* SPDX-License-Identifier: MIT */
/* src/auth/verify.c: token -> principal, with the cache, over a real store.
 * Each test gets a fresh store with one user (alice, an editor of the space
 * "docs"), one PAT of hers, and a fresh auth. */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tmpdir.h"
#include "util/time.h"

#include <string.h>
#include <unistd.h>

#define ALICE_SCOPES (SCOPE_READ_CONTENT | SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_USERS)

static struct tmpdir dir;
static struct store *st;
static struct auth *auth;
static struct user alice;
static int64_t docs;
static char token[TOKEN_LEN + 1];
static struct pat pat;
static char header[TOKEN_LEN + 16];

static char db_path[128];

static bool setup(void)
{
	st = NULL;
	auth = NULL;
	if (!CHECK(tmpdir_make(&dir)))
		return false;
	tmpdir_file(&dir, "jeton.db", db_path, sizeof db_path);
	if (!CHECK_EQ_INT(store_open(db_path, 2, &st), JT_OK) ||
	    !CHECK_EQ_INT(store_migrate(st), JT_OK))
		return false;

	memset(&alice, 0, sizeof alice);
	snprintf(alice.email, sizeof alice.email, "alice@example.com");
	snprintf(alice.friendly_name, sizeof alice.friendly_name, "Alice");
	snprintf(alice.password_hash, sizeof alice.password_hash, "$argon2id$v=19$not-a-real-one");
	alice.created_at = time_now();
	if (!CHECK_EQ_INT(store_user_insert(st, &alice), JT_OK))
		return false;

	struct space s;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "docs");
	s.created_at = time_now();
	if (!CHECK_EQ_INT(store_space_insert(st, &s), JT_OK) ||
	    !CHECK_EQ_INT(store_member_put(st, s.id, alice.id, "editor"), JT_OK))
		return false;
	docs = s.id;

	if (!CHECK_EQ_INT(pat_create(st, alice.id, "ci", ALICE_SCOPES, 0, token, &pat),
			  JT_OK))
		return false;
	snprintf(header, sizeof header, "Bearer %s", token);
	return CHECK_EQ_INT(auth_new(st, &auth), JT_OK);
}

static void teardown(void)
{
	auth_free(auth);
	auth = NULL;
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

/* auth_verify that must refuse with want, and leave *out NULL. */
static bool refuses(const char *value, enum auth_result want)
{
	static struct principal sentinel;
	struct principal *p = &sentinel;
	enum auth_result r = auth_verify(auth, value, "192.0.2.1", &p);
	bool ok = CHECK_EQ_INT(r, want) && CHECK(p == NULL);
	if (!ok)
		fprintf(stderr, "  header \"%s\"\n", value ? value : "(NULL)");
	if (r == AUTH_OK)
		auth_release(p);
	return ok;
}

TEST(valid_token_gives_its_principal)
{
	struct principal *p = NULL;
	if (!CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK) ||
	    !CHECK(p != NULL))
		return;
	CHECK_EQ_INT(p->kind, TOKEN_PAT);
	CHECK_EQ_INT(p->token_id, pat.id);
	CHECK_EQ_STR(p->token_name, "ci");
	CHECK_EQ_INT(p->token_scopes, ALICE_SCOPES);
	CHECK_EQ_INT(p->expires_at, 0);
	CHECK_EQ_INT(p->revoked_at, 0);
	CHECK_EQ_INT(p->user.id, alice.id);
	CHECK_EQ_STR(p->user.email, "alice@example.com");
	CHECK(!p->user.disabled);
	uint8_t hash[HASH_SHA256_LEN];
	hash_sha256(token, TOKEN_LEN, hash);
	CHECK_EQ_MEM(p->hash, hash, sizeof hash);
	/* The shared principal does not carry the password hash. */
	CHECK_EQ_STR(p->user.password_hash, "");
	if (CHECK_EQ_INT(p->nspaces, 1)) {
		CHECK_EQ_INT(p->spaces[0].id, docs);
		CHECK_EQ_STR(p->spaces[0].name, "docs");
		CHECK_EQ_STR(p->spaces[0].role, "editor");
		CHECK_EQ_INT(p->spaces[0].permissions, SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT);
	}
	auth_release(p);
}

TEST(bare_token_and_verify_token_work_too)
{
	struct principal *p = NULL;
	if (CHECK_EQ_INT(auth_verify(auth, token, "192.0.2.1", &p), AUTH_OK))
		CHECK_EQ_INT(p->token_id, pat.id);
	auth_release(p);
	p = NULL;
	if (CHECK_EQ_INT(auth_verify_token(auth, token, TOKEN_LEN, &p), AUTH_OK))
		CHECK_EQ_INT(p->user.id, alice.id);
	auth_release(p);
}

TEST(cached_principal_is_the_same_until_invalidated)
{
	struct principal *p1 = NULL, *p2 = NULL, *p3 = NULL;
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p1), AUTH_OK);
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p2), AUTH_OK);
	CHECK(p1 != NULL && p1 == p2);
	auth_invalidate(auth);
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p3), AUTH_OK);
	CHECK(p3 != NULL && p3 != p1);
	/* p1 stays usable while referenced, though the cache let it go. */
	if (p1)
		CHECK_EQ_INT(p1->token_id, pat.id);
	auth_release(p1);
	auth_release(p2);
	auth_release(p3);
	auth_release(NULL);
}

TEST(header_problems)
{
	refuses(NULL, AUTH_MISSING);
	refuses("", AUTH_MISSING);
	refuses("Basic YWxpY2U6cGFzcw==", AUTH_SCHEME);
	refuses("Bearer", AUTH_MALFORMED); /* a bare token "Bearer" */
	refuses("Bearer a b", AUTH_MALFORMED);
	refuses("Bearer jtp_short", AUTH_MALFORMED);
	refuses("Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyz", AUTH_MALFORMED);
}

TEST(bad_checksum)
{
	char typo[sizeof header];
	/* The right token is in the cache, where checksums are not checked
	 * again: a typo misses it and is refused for its checksum. */
	struct principal *p = NULL;
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK);
	auth_release(p);
	memcpy(typo, header, sizeof typo);
	size_t last = strlen(typo) - 1;
	typo[last] = typo[last] == 'a' ? 'b' : 'a';
	refuses(typo, AUTH_CHECKSUM);
	/* A typo in the middle is caught the same way. */
	memcpy(typo, header, sizeof typo);
	typo[7 + 10] = typo[7 + 10] == 'Z' ? 'Y' : 'Z';
	refuses(typo, AUTH_CHECKSUM);
}

TEST(unknown_tokens)
{
	char other[TOKEN_LEN + 1];
	token_generate(TOKEN_PAT, other);
	refuses(other, AUTH_UNKNOWN);
	token_generate(TOKEN_ACCESS, other);
	refuses(other, AUTH_UNKNOWN);
	token_generate(TOKEN_CLIENT, other);
	refuses(other, AUTH_UNKNOWN);
	/* Refresh tokens and client secrets are not access tokens. */
	token_generate(TOKEN_REFRESH, other);
	refuses(other, AUTH_UNKNOWN);
	other[TOKEN_LEN - 1] = other[TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	refuses(other, AUTH_CHECKSUM); /* a mistyped one says so first */
	token_generate(TOKEN_SECRET, other);
	refuses(other, AUTH_UNKNOWN);
}

TEST(revoked_token)
{
	struct principal *p = NULL;
	struct pat out;
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK); /* now cached */
	auth_release(p);
	CHECK_EQ_INT(store_pat_revoke(st, alice.id, pat.id, time_now(), &out), JT_OK);
	auth_invalidate(auth);
	refuses(header, AUTH_REVOKED);
	refuses(header, AUTH_REVOKED); /* cached as revoked too */
}

TEST(rotated_token_is_revoked_and_its_successor_works)
{
	char fresh[TOKEN_LEN + 1];
	struct pat out;
	struct principal *p = NULL;
	if (!CHECK_EQ_INT(pat_rotate(st, alice.id, pat.id, 0, fresh, &out, NULL), JT_OK))
		return;
	auth_invalidate(auth);
	refuses(header, AUTH_REVOKED);
	if (CHECK_EQ_INT(auth_verify(auth, fresh, "192.0.2.1", &p), AUTH_OK)) {
		CHECK_EQ_INT(p->token_id, out.id);
		CHECK_EQ_STR(p->token_name, "ci");
		CHECK_EQ_INT(p->token_scopes, ALICE_SCOPES);
	}
	auth_release(p);
}

/* Stores a PAT of alice's for tok with the given expiry, bypassing grant. */
static bool insert_pat_with_expiry(const char *tok, int64_t expires_at)
{
	struct pat p;
	memset(&p, 0, sizeof p);
	p.user_id = alice.id;
	snprintf(p.name, sizeof p.name, "short-lived");
	hash_sha256(tok, TOKEN_LEN, p.token_hash);
	memcpy(p.display_prefix, tok, TOKEN_DISPLAY_CHARS);
	snprintf(p.scopes, sizeof p.scopes, "read_content");
	p.created_at = time_now() - 7200;
	p.expires_at = expires_at;
	return CHECK_EQ_INT(store_pat_insert(st, &p), JT_OK);
}

TEST(expired_token)
{
	char tok[TOKEN_LEN + 1];
	token_generate(TOKEN_PAT, tok);
	if (insert_pat_with_expiry(tok, time_now() - 60))
		refuses(tok, AUTH_EXPIRED);
}

TEST(token_that_expires_later_is_valid)
{
	char tok[TOKEN_LEN + 1];
	struct principal *p = NULL;
	token_generate(TOKEN_PAT, tok);
	if (!insert_pat_with_expiry(tok, time_now() + 3600))
		return;
	if (CHECK_EQ_INT(auth_verify(auth, tok, "192.0.2.1", &p), AUTH_OK))
		CHECK_EQ_INT(p->token_scopes, SCOPE_READ_CONTENT);
	auth_release(p);
}

TEST(disabled_user)
{
	struct principal *p = NULL;
	struct user u;
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK);
	auth_release(p);
	p = NULL;

	if (!CHECK_EQ_INT(store_user_get(st, alice.id, &u), JT_OK))
		return;
	u.disabled = true;
	CHECK_EQ_INT(store_user_update(st, &u), JT_OK);
	auth_invalidate(auth);
	refuses(header, AUTH_DISABLED);

	u.disabled = false;
	CHECK_EQ_INT(store_user_update(st, &u), JT_OK);
	auth_invalidate(auth);
	CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK);
	auth_release(p);
}

TEST(rights_are_token_scopes_within_user_permissions)
{
	struct principal *p = NULL;
	struct user u;
	if (!CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK))
		return;
	/* Not an admin: of read_content, manage_tokens and manage_users, only
	 * manage_tokens is hers outside spaces. */
	CHECK_EQ_INT(auth_rights(p), SCOPE_MANAGE_TOKENS);
	/* In docs she is an editor (read, write); the token has read only. */
	CHECK_EQ_INT(auth_rights_in_space(p, docs), SCOPE_READ_CONTENT);
	CHECK_EQ_INT(auth_rights_in_space(p, docs + 1000), 0);
	auth_release(p);
	p = NULL;

	/* Made an admin, she gains manage_users (the token has it) but not
	 * manage_apps (the token does not). */
	if (!CHECK_EQ_INT(store_user_get(st, alice.id, &u), JT_OK))
		return;
	u.admin = true;
	CHECK_EQ_INT(store_user_update(st, &u), JT_OK);
	auth_invalidate(auth);
	if (CHECK_EQ_INT(auth_verify(auth, header, "192.0.2.1", &p), AUTH_OK))
		CHECK_EQ_INT(auth_rights(p), SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_USERS);
	auth_release(p);
}

TEST(user_permissions_through_grant)
{
	uint64_t instance = 0, held = 0;
	CHECK_EQ_INT(auth_user_permissions(st, &alice, &instance, &held), JT_OK);
	CHECK_EQ_INT(instance, SCOPE_MANAGE_TOKENS);
	CHECK_EQ_INT(held, SCOPE_MANAGE_TOKENS | SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT);
	struct user admin = alice;
	admin.admin = true;
	CHECK_EQ_INT(auth_instance_permissions(&admin), SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_USERS |
							SCOPE_MANAGE_APPS | SCOPE_REPORT_LEAKS);
}

/* Last-use times are written asynchronously (store_pat_touch). Waits up to
 * 5 s for the PAT's last use to differ from `from`; out holds the record. */
static bool wait_for_last_use_change(int64_t from, struct pat *out)
{
	for (int i = 0; i < 500; i++) {
		if (store_pat_get(st, alice.id, pat.id, out) == JT_OK && out->last_used_at != from)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* Lets every queued write finish: a fresh auth over the store reopened. */
static bool settle(void)
{
	auth_free(auth);
	auth = NULL;
	store_close(st);
	st = NULL;
	return CHECK_EQ_INT(store_open(db_path, 2, &st), JT_OK) &&
	       CHECK_EQ_INT(auth_new(st, &auth), JT_OK);
}

TEST(last_use_is_written_once_a_minute)
{
	struct principal *p = NULL;
	struct pat got;
	int64_t before = time_now();
	CHECK_EQ_INT(auth_verify(auth, header, "198.51.100.4", &p), AUTH_OK);
	auth_release(p);
	int64_t after = time_now();
	if (!CHECK(wait_for_last_use_change(0, &got)))
		return;
	CHECK(got.last_used_at >= before && got.last_used_at <= after);
	CHECK_EQ_STR(got.last_used_ip, "198.51.100.4");
	int64_t first = got.last_used_at;

	/* Another use within the minute, from elsewhere, writes nothing ... */
	CHECK_EQ_INT(auth_verify(auth, header, "203.0.113.9", &p), AUTH_OK);
	auth_release(p);
	/* ... nor does one after the cache reloaded the token from the store. */
	auth_invalidate(auth);
	CHECK_EQ_INT(auth_verify(auth, header, "203.0.113.9", &p), AUTH_OK);
	auth_release(p);
	if (!settle())
		return;
	if (CHECK_EQ_INT(store_pat_get(st, alice.id, pat.id, &got), JT_OK)) {
		CHECK_EQ_INT(got.last_used_at, first);
		CHECK_EQ_STR(got.last_used_ip, "198.51.100.4");
	}
}

TEST(last_use_a_minute_old_is_rewritten)
{
	struct principal *p = NULL;
	struct pat got;
	int64_t long_ago = time_now() - 3600;
	CHECK_EQ_INT(store_pat_touch(st, pat.id, long_ago, "192.0.2.50"), JT_OK);
	if (!CHECK(wait_for_last_use_change(0, &got)) || !CHECK_EQ_INT(got.last_used_at, long_ago))
		return;
	int64_t before = time_now();
	CHECK_EQ_INT(auth_verify(auth, header, "198.51.100.4", &p), AUTH_OK);
	auth_release(p);
	if (CHECK(wait_for_last_use_change(long_ago, &got))) {
		CHECK(got.last_used_at >= before);
		CHECK_EQ_STR(got.last_used_ip, "198.51.100.4");
	}
}

TEST(verify_token_records_no_use)
{
	struct principal *p = NULL;
	struct pat got;
	CHECK_EQ_INT(auth_verify_token(auth, token, TOKEN_LEN, &p), AUTH_OK);
	auth_release(p);
	if (!settle())
		return;
	if (CHECK_EQ_INT(store_pat_get(st, alice.id, pat.id, &got), JT_OK))
		CHECK_EQ_INT(got.last_used_at, 0);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN_WITH_STORE(valid_token_gives_its_principal);
	RUN_WITH_STORE(bare_token_and_verify_token_work_too);
	RUN_WITH_STORE(cached_principal_is_the_same_until_invalidated);
	RUN_WITH_STORE(header_problems);
	RUN_WITH_STORE(bad_checksum);
	RUN_WITH_STORE(unknown_tokens);
	RUN_WITH_STORE(revoked_token);
	RUN_WITH_STORE(rotated_token_is_revoked_and_its_successor_works);
	RUN_WITH_STORE(expired_token);
	RUN_WITH_STORE(token_that_expires_later_is_valid);
	RUN_WITH_STORE(disabled_user);
	RUN_WITH_STORE(rights_are_token_scopes_within_user_permissions);
	RUN_WITH_STORE(user_permissions_through_grant);
	RUN_WITH_STORE(last_use_is_written_once_a_minute);
	RUN_WITH_STORE(last_use_a_minute_old_is_rewritten);
	RUN_WITH_STORE(verify_token_records_no_use);
	crypto_shutdown();
	return check_summary(__FILE__);
}
