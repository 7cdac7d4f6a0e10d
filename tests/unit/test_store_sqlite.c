/* SPDX-License-Identifier: MIT */
/* src/store: the SQLite backend through store.h, on a file in a scratch
 * directory. Each test gets a fresh, migrated store. */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tmpdir.h"
#include "util/time.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct tmpdir dir;
static char db_path[128];
static struct store *st;

static bool setup(void)
{
	st = NULL;
	if (!CHECK(tmpdir_make(&dir)))
		return false;
	tmpdir_file(&dir, "jeton.db", db_path, sizeof db_path);
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

static bool reopen(void)
{
	store_close(st);
	st = NULL;
	return CHECK_EQ_INT(store_open(db_path, 2, &st), JT_OK) &&
	       CHECK_EQ_INT(store_migrate(st), JT_OK);
}

static int64_t add_user(const char *email, bool admin)
{
	struct user u;
	memset(&u, 0, sizeof u);
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.friendly_name, sizeof u.friendly_name, "Someone");
	u.admin = admin;
	u.created_at = 1700000000;
	if (!CHECK_EQ_INT(store_user_insert(st, &u), JT_OK))
		return 0;
	CHECK(u.id > 0);
	return u.id;
}

static int64_t add_space(const char *name)
{
	struct space s;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "%s", name);
	s.created_at = 1700000000;
	if (!CHECK_EQ_INT(store_space_insert(st, &s), JT_OK))
		return 0;
	CHECK(s.id > 0);
	return s.id;
}

/* A token record whose hash is `seed` repeated. */
static struct pat make_pat(int64_t user_id, uint8_t seed, const char *name)
{
	struct pat p;
	memset(&p, 0, sizeof p);
	p.user_id = user_id;
	snprintf(p.name, sizeof p.name, "%s", name);
	memset(p.token_hash, seed, sizeof p.token_hash);
	snprintf(p.display_prefix, sizeof p.display_prefix, "jtp_%04X", seed);
	snprintf(p.scopes, sizeof p.scopes, "read_content manage_tokens");
	p.created_at = 1700000000 + seed;
	return p;
}

static int64_t add_pat(int64_t user_id, uint8_t seed, const char *name)
{
	struct pat p = make_pat(user_id, seed, name);
	if (!CHECK_EQ_INT(store_pat_insert(st, &p), JT_OK))
		return 0;
	CHECK(p.id > 0);
	return p.id;
}

/* ---- schema ---- */

TEST(migrate_is_idempotent_and_reaches_the_known_version)
{
	struct tmpdir d;
	char path[128];
	struct store *s = NULL;
	int version = -1, known = -1;

	if (!CHECK(tmpdir_make(&d)))
		return;
	tmpdir_file(&d, "fresh.db", path, sizeof path);
	if (!CHECK_EQ_INT(store_open(path, 1, &s), JT_OK))
		goto out;
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, 0);
	CHECK(known >= 2); /* 001_init, 002_oauth */
	CHECK_EQ_INT(store_migrate(s), JT_OK);
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, known);
	CHECK_EQ_INT(store_migrate(s), JT_OK);
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, known);
	CHECK_EQ_INT(store_ping(s), JT_OK);
	store_close(s);
	s = NULL;
	/* A second process opening the same file migrates nothing. */
	if (CHECK_EQ_INT(store_open(path, 1, &s), JT_OK)) {
		CHECK_EQ_INT(store_migrate(s), JT_OK);
		CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
		CHECK_EQ_INT(version, known);
	}
out:
	store_close(s);
	tmpdir_remove(&d);
}

TEST(newer_schema_is_refused)
{
	int version, known;
	sqlite3 *db = NULL;
	char sql[64];
	if (!CHECK_EQ_INT(store_schema_version(st, &version, &known), JT_OK))
		return;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", known + 1);
	CHECK_EQ_INT(sqlite3_open(db_path, &db), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ_INT(store_migrate(st), JT_ECONFLICT);
	CHECK_EQ_INT(store_schema_version(st, &version, &known), JT_OK);
	CHECK_EQ_INT(version, known + 1);
}

TEST(open_refuses_an_empty_location)
{
	static char sentinel;
	struct store *s = (struct store *)(void *)&sentinel;
	CHECK_EQ_INT(store_open("", 1, &s), JT_EINVAL);
	CHECK(s == NULL);
}

/* ---- users ---- */

TEST(user_round_trip)
{
	struct user u, got;
	memset(&u, 0, sizeof u);
	snprintf(u.email, sizeof u.email, "alice@example.com");
	snprintf(u.friendly_name, sizeof u.friendly_name, "Alice \xc3\x89lise");
	snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=19456,t=2,p=1$x$y");
	u.admin = true;
	u.created_at = 1700000123;
	if (!CHECK_EQ_INT(store_user_insert(st, &u), JT_OK))
		return;
	CHECK(u.id > 0);
	if (!CHECK_EQ_INT(store_user_get(st, u.id, &got), JT_OK))
		return;
	CHECK_EQ_INT(got.id, u.id);
	CHECK_EQ_STR(got.email, "alice@example.com");
	CHECK_EQ_STR(got.friendly_name, "Alice \xc3\x89lise");
	CHECK_EQ_STR(got.password_hash, u.password_hash);
	CHECK(got.admin);
	CHECK(!got.disabled);
	CHECK_EQ_INT(got.created_at, 1700000123);

	CHECK_EQ_INT(store_user_get(st, u.id + 1000, &got), JT_ENOTFOUND);
	int64_t count = -1;
	CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
	CHECK_EQ_INT(count, 1);
}

TEST(user_insert_fills_id_and_created_at)
{
	/* store.h: "insert fills id and created_at". */
	struct user u, got;
	memset(&u, 0, sizeof u);
	snprintf(u.email, sizeof u.email, "bob@example.com");
	snprintf(u.friendly_name, sizeof u.friendly_name, "Bob");
	int64_t before = time_now();
	if (!CHECK_EQ_INT(store_user_insert(st, &u), JT_OK))
		return;
	int64_t after = time_now();
	CHECK(u.id > 0);
	CHECK(u.created_at >= before && u.created_at <= after);
	if (CHECK_EQ_INT(store_user_get(st, u.id, &got), JT_OK))
		CHECK_EQ_INT(got.created_at, u.created_at);
}

TEST(user_email_is_unique_and_found_in_any_case)
{
	int64_t id = add_user("Alice@Example.com", false);
	struct user got, dup;
	if (!CHECK_EQ_INT(store_user_find_by_email(st, "alice@example.COM", &got), JT_OK))
		return;
	CHECK_EQ_INT(got.id, id);
	CHECK_EQ_STR(got.email, "Alice@Example.com"); /* stored as given */
	CHECK_EQ_INT(store_user_find_by_email(st, "Alice@Example.com", &got), JT_OK);
	CHECK_EQ_INT(store_user_find_by_email(st, "alice@example.org", &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_user_find_by_email(st, "alice@example.co", &got), JT_ENOTFOUND);

	memset(&dup, 0, sizeof dup);
	snprintf(dup.email, sizeof dup.email, "ALICE@example.com");
	snprintf(dup.friendly_name, sizeof dup.friendly_name, "Impostor");
	dup.created_at = 1700000000;
	CHECK_EQ_INT(store_user_insert(st, &dup), JT_ECONFLICT);
	int64_t count = -1;
	CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
	CHECK_EQ_INT(count, 1);
}

TEST(user_update_writes_the_mutable_fields)
{
	int64_t id = add_user("carol@example.com", false);
	struct user u;
	if (!CHECK_EQ_INT(store_user_get(st, id, &u), JT_OK))
		return;
	snprintf(u.friendly_name, sizeof u.friendly_name, "Carol C.");
	snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$new");
	u.admin = true;
	u.disabled = true;
	CHECK_EQ_INT(store_user_update(st, &u), JT_OK);
	struct user got;
	if (CHECK_EQ_INT(store_user_get(st, id, &got), JT_OK)) {
		CHECK_EQ_STR(got.friendly_name, "Carol C.");
		CHECK_EQ_STR(got.password_hash, "$argon2id$new");
		CHECK(got.admin);
		CHECK(got.disabled);
		CHECK_EQ_STR(got.email, "carol@example.com");
	}
	u.id = id + 1000;
	CHECK_EQ_INT(store_user_update(st, &u), JT_ENOTFOUND);
}

/* ---- spaces and memberships ---- */

TEST(space_names_are_unique)
{
	int64_t id = add_space("docs");
	struct space s, got;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "docs");
	s.created_at = 1700000000;
	CHECK_EQ_INT(store_space_insert(st, &s), JT_ECONFLICT);
	if (CHECK_EQ_INT(store_space_find_by_name(st, "docs", &got), JT_OK))
		CHECK_EQ_INT(got.id, id);
	if (CHECK_EQ_INT(store_space_get(st, id, &got), JT_OK))
		CHECK_EQ_STR(got.name, "docs");
	CHECK_EQ_INT(store_space_get(st, id + 1000, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_space_find_by_name(st, "Docs", &got), JT_ENOTFOUND);
}

TEST(space_insert_fills_id_and_created_at)
{
	/* store.h: "Spaces. insert fills id and created_at". */
	struct space s, got;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "handbook");
	int64_t before = time_now();
	if (!CHECK_EQ_INT(store_space_insert(st, &s), JT_OK))
		return;
	int64_t after = time_now();
	CHECK(s.id > 0);
	CHECK(s.created_at >= before && s.created_at <= after);
	if (CHECK_EQ_INT(store_space_get(st, s.id, &got), JT_OK))
		CHECK_EQ_INT(got.created_at, s.created_at);
}

TEST(memberships_carry_the_role_permissions)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	int64_t docs = add_space("docs");
	int64_t blog = add_space("blog");
	struct membership *ms = NULL;
	size_t n = 99;

	CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK);
	CHECK_EQ_INT(n, 0);
	store_list_free(ms);

	CHECK_EQ_INT(store_member_put(st, docs, alice, "editor"), JT_OK);
	CHECK_EQ_INT(store_member_put(st, blog, alice, "viewer"), JT_OK);
	CHECK_EQ_INT(store_member_put(st, docs, bob, "admin"), JT_OK);

	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		for (size_t i = 0; i < n; i++) {
			CHECK_EQ_INT(ms[i].user_id, alice);
			CHECK_EQ_STR(ms[i].email, "alice@example.com");
			if (ms[i].space_id == docs) {
				CHECK_EQ_STR(ms[i].space_name, "docs");
				CHECK_EQ_STR(ms[i].role, "editor");
				CHECK_EQ_STR(ms[i].permissions, "read_content write_content");
			} else {
				CHECK_EQ_INT(ms[i].space_id, blog);
				CHECK_EQ_STR(ms[i].space_name, "blog");
				CHECK_EQ_STR(ms[i].role, "viewer");
				CHECK_EQ_STR(ms[i].permissions, "read_content");
			}
		}
	}
	store_list_free(ms);

	/* put again changes the role. */
	CHECK_EQ_INT(store_member_put(st, docs, alice, "admin"), JT_OK);
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		for (size_t i = 0; i < n; i++)
			if (ms[i].space_id == docs)
				CHECK_EQ_STR(ms[i].permissions,
					     "read_content write_content manage_space");
	}
	store_list_free(ms);

	if (CHECK_EQ_INT(store_member_list(st, docs, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_STR(ms[0].email, "alice@example.com");
		CHECK_EQ_STR(ms[1].email, "bob@example.com");
	}
	store_list_free(ms);

	CHECK_EQ_INT(store_member_delete(st, blog, alice), JT_OK);
	CHECK_EQ_INT(store_member_delete(st, blog, alice), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1))
		CHECK_EQ_INT(ms[0].space_id, docs);
	store_list_free(ms);
}

TEST(member_put_refuses_an_unknown_role)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	struct membership *ms = NULL;
	size_t n = 99;
	CHECK_EQ_INT(store_member_put(st, docs, alice, "owner"), JT_EINVAL);
	CHECK_EQ_INT(store_member_put(st, docs, alice, ""), JT_EINVAL);
	CHECK_EQ_INT(store_member_put(st, docs, alice, "Editor"), JT_EINVAL);
	CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK);
	CHECK_EQ_INT(n, 0);
	store_list_free(ms);
	/* A refused change leaves the existing role alone. */
	CHECK_EQ_INT(store_member_put(st, docs, alice, "viewer"), JT_OK);
	CHECK_EQ_INT(store_member_put(st, docs, alice, "owner"), JT_EINVAL);
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(ms[0].role, "viewer");
	store_list_free(ms);
}

TEST(space_list_for_a_user)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t blog = add_space("blog");
	struct space *sp = NULL;
	size_t n = 99;
	CHECK_EQ_INT(store_member_put(st, blog, alice, "editor"), JT_OK);

	if (CHECK_EQ_INT(store_space_list(st, alice, true, &sp, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_INT(sp[0].id, blog);
		CHECK_EQ_STR(sp[0].role, "editor");
	}
	store_list_free(sp);
	if (CHECK_EQ_INT(store_space_list(st, alice, false, &sp, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		for (size_t i = 0; i < n; i++)
			CHECK_EQ_STR(sp[i].role, sp[i].id == docs ? "" : "editor");
	}
	store_list_free(sp);
}

/* ---- personal access tokens ---- */

TEST(pat_round_trip_and_ownership)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct pat p = make_pat(alice, 0xA1, "ci");
	p.expires_at = 1900000000;
	if (!CHECK_EQ_INT(store_pat_insert(st, &p), JT_OK))
		return;
	CHECK(p.id > 0);

	struct pat got;
	if (CHECK_EQ_INT(store_pat_get(st, alice, p.id, &got), JT_OK)) {
		CHECK_EQ_INT(got.id, p.id);
		CHECK_EQ_INT(got.user_id, alice);
		CHECK_EQ_STR(got.name, "ci");
		CHECK_EQ_MEM(got.token_hash, p.token_hash, STORE_HASH_LEN);
		CHECK_EQ_STR(got.display_prefix, p.display_prefix);
		CHECK_EQ_STR(got.scopes, "read_content manage_tokens");
		CHECK_EQ_INT(got.created_at, p.created_at);
		CHECK_EQ_INT(got.expires_at, 1900000000);
		CHECK_EQ_INT(got.last_used_at, 0);
		CHECK_EQ_STR(got.last_used_ip, "");
		CHECK_EQ_INT(got.revoked_at, 0);
	}
	CHECK_EQ_INT(store_pat_get(st, bob, p.id, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_get(st, 0, p.id, &got), JT_OK); /* 0: any user */
	CHECK_EQ_INT(got.user_id, alice);
	CHECK_EQ_INT(store_pat_get(st, alice, p.id + 1000, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_get(st, 0, p.id + 1000, &got), JT_ENOTFOUND);
}

TEST(pat_without_expiry_reads_back_as_zero)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x11, "forever");
	struct pat got;
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &got), JT_OK))
		CHECK_EQ_INT(got.expires_at, 0);
}

TEST(pat_hash_collision_conflicts)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	add_pat(alice, 0x42, "first");
	struct pat again = make_pat(bob, 0x42, "second");
	CHECK_EQ_INT(store_pat_insert(st, &again), JT_ECONFLICT);
}

TEST(pat_list_pages_newest_first)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		ids[i] = add_pat(alice, (uint8_t)(0x10 + i), "t");
		if (i == 2)
			add_pat(bob, 0x99, "bob's");
	}
	struct store_page page = {.before = 0, .limit = 2};
	struct pat *items = NULL;
	size_t n = 99;

	if (CHECK_EQ_INT(store_pat_list(st, alice, &page, &items, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(items[0].id, ids[4]);
		CHECK_EQ_INT(items[1].id, ids[3]);
		page.before = items[1].id;
	}
	store_list_free(items);

	if (CHECK_EQ_INT(store_pat_list(st, alice, &page, &items, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(items[0].id, ids[2]);
		CHECK_EQ_INT(items[1].id, ids[1]);
		page.before = items[1].id;
	}
	store_list_free(items);

	if (CHECK_EQ_INT(store_pat_list(st, alice, &page, &items, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_INT(items[0].id, ids[0]);
		CHECK_EQ_INT(items[0].user_id, alice);
		page.before = items[0].id;
	}
	store_list_free(items);

	CHECK_EQ_INT(store_pat_list(st, alice, &page, &items, &n), JT_OK);
	CHECK_EQ_INT(n, 0);
	store_list_free(items);

	page = (struct store_page){.before = 0, .limit = 100};
	if (CHECK_EQ_INT(store_pat_list(st, alice, &page, &items, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 5)) {
		for (size_t i = 1; i < n; i++)
			CHECK(items[i - 1].id > items[i].id);
	}
	store_list_free(items);
}

TEST(pat_find_by_hash)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t a = add_pat(alice, 0x21, "a");
	int64_t b = add_pat(alice, 0x22, "b");
	uint8_t hash[STORE_HASH_LEN];
	struct pat got;

	memset(hash, 0x22, sizeof hash);
	if (CHECK_EQ_INT(store_pat_find_by_hash(st, hash, &got), JT_OK)) {
		CHECK_EQ_INT(got.id, b);
		CHECK_EQ_STR(got.name, "b");
	}
	memset(hash, 0x21, sizeof hash);
	if (CHECK_EQ_INT(store_pat_find_by_hash(st, hash, &got), JT_OK))
		CHECK_EQ_INT(got.id, a);
	hash[31] = 0x00;
	CHECK_EQ_INT(store_pat_find_by_hash(st, hash, &got), JT_ENOTFOUND);
}

TEST(pat_revoke_keeps_the_first_time)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	int64_t id = add_pat(alice, 0x31, "ci");
	struct pat out;

	CHECK_EQ_INT(store_pat_revoke(st, bob, id, 1000, &out), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &out), JT_OK))
		CHECK_EQ_INT(out.revoked_at, 0);

	if (CHECK_EQ_INT(store_pat_revoke(st, alice, id, 1000, &out), JT_OK)) {
		CHECK_EQ_INT(out.id, id);
		CHECK_EQ_INT(out.revoked_at, 1000);
	}
	if (CHECK_EQ_INT(store_pat_revoke(st, alice, id, 2000, &out), JT_OK))
		CHECK_EQ_INT(out.revoked_at, 1000);
	if (CHECK_EQ_INT(store_pat_revoke(st, 0, id, 3000, &out), JT_OK))
		CHECK_EQ_INT(out.revoked_at, 1000);
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &out), JT_OK))
		CHECK_EQ_INT(out.revoked_at, 1000);
	CHECK_EQ_INT(store_pat_revoke(st, alice, id + 1000, 1000, &out), JT_ENOTFOUND);
}

TEST(pat_revoke_by_any_user)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x32, "ci");
	struct pat out;
	if (CHECK_EQ_INT(store_pat_revoke(st, 0, id, 1234, &out), JT_OK))
		CHECK_EQ_INT(out.revoked_at, 1234);
}

TEST(pat_rotate_revokes_the_old_and_inserts_the_new)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t old_id = add_pat(alice, 0x41, "ci");
	struct pat fresh = make_pat(alice, 0x42, "ci");
	struct pat got;

	if (!CHECK_EQ_INT(store_pat_rotate(st, alice, old_id, 5000, &fresh), JT_OK))
		return;
	CHECK(fresh.id > 0 && fresh.id != old_id);
	if (CHECK_EQ_INT(store_pat_get(st, alice, old_id, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 5000);
	if (CHECK_EQ_INT(store_pat_get(st, alice, fresh.id, &got), JT_OK)) {
		CHECK_EQ_INT(got.revoked_at, 0);
		CHECK_EQ_MEM(got.token_hash, fresh.token_hash, STORE_HASH_LEN);
	}

	/* The old one cannot be rotated again, and nothing is inserted. */
	struct pat again = make_pat(alice, 0x43, "ci");
	CHECK_EQ_INT(store_pat_rotate(st, alice, old_id, 6000, &again), JT_ECONFLICT);
	CHECK_EQ_INT(store_pat_find_by_hash(st, again.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, old_id, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 5000);
}

TEST(pat_rotate_refuses_expired_and_foreign_tokens)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct pat expired = make_pat(alice, 0x51, "old");
	expired.expires_at = 4000;
	if (!CHECK_EQ_INT(store_pat_insert(st, &expired), JT_OK))
		return;
	struct pat fresh = make_pat(alice, 0x52, "old");
	struct pat got;
	CHECK_EQ_INT(store_pat_rotate(st, alice, expired.id, 5000, &fresh), JT_ECONFLICT);
	CHECK_EQ_INT(store_pat_find_by_hash(st, fresh.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, expired.id, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);

	int64_t mine = add_pat(alice, 0x53, "mine");
	struct pat theirs = make_pat(bob, 0x54, "mine");
	CHECK_EQ_INT(store_pat_rotate(st, bob, mine, 5000, &theirs), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_find_by_hash(st, theirs.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, mine, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);
}

/* Touches are written asynchronously: waits up to 5 s for the PAT's last
 * use to become want, leaving the record in out. */
static bool wait_for_last_use(int64_t user_id, int64_t id, int64_t want, struct pat *out)
{
	for (int i = 0; i < 500; i++) {
		if (store_pat_get(st, user_id, id, out) == JT_OK && out->last_used_at == want)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

TEST(pat_touch_records_the_use)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x61, "ci");
	int64_t other = add_pat(alice, 0x62, "other");
	struct pat got;
	CHECK_EQ_INT(store_pat_touch(st, id, 5000, "203.0.113.7"), JT_OK);
	if (CHECK(wait_for_last_use(alice, id, 5000, &got)))
		CHECK_EQ_STR(got.last_used_ip, "203.0.113.7");
	CHECK_EQ_INT(store_pat_touch(st, id, 6000, "2001:db8::1"), JT_OK);
	if (CHECK(wait_for_last_use(alice, id, 6000, &got)))
		CHECK_EQ_STR(got.last_used_ip, "2001:db8::1");
	/* Only that token. */
	if (CHECK_EQ_INT(store_pat_get(st, alice, other, &got), JT_OK))
		CHECK_EQ_INT(got.last_used_at, 0);
}

/* ---- durability and secrecy ---- */

TEST(records_survive_close_and_reopen)
{
	int64_t alice = add_user("alice@example.com", true);
	int64_t docs = add_space("docs");
	CHECK_EQ_INT(store_member_put(st, docs, alice, "editor"), JT_OK);
	int64_t id = add_pat(alice, 0x71, "ci");
	struct pat p;
	CHECK_EQ_INT(store_pat_revoke(st, alice, id, 4242, &p), JT_OK);

	if (!reopen())
		return;
	struct user u;
	if (CHECK_EQ_INT(store_user_find_by_email(st, "alice@example.com", &u), JT_OK)) {
		CHECK_EQ_INT(u.id, alice);
		CHECK(u.admin);
	}
	struct space s;
	if (CHECK_EQ_INT(store_space_find_by_name(st, "docs", &s), JT_OK))
		CHECK_EQ_INT(s.id, docs);
	struct membership *ms = NULL;
	size_t n = 0;
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(ms[0].role, "editor");
	store_list_free(ms);
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &p), JT_OK)) {
		CHECK_EQ_STR(p.name, "ci");
		CHECK_EQ_INT(p.revoked_at, 4242);
	}
}

/* Reads a whole file; NULL if it cannot. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			unsigned char *grown = realloc(buf, cap);
			if (!grown)
				break;
			buf = grown;
		}
		size_t got = fread(buf + *len, 1, cap - *len, f);
		if (got == 0)
			break;
		*len += got;
	}
	fclose(f);
	return buf;
}

/* Counts the files of the store (db, -wal, -shm) that contain needle. */
static int files_containing(const void *needle, size_t needle_len, int *files_read)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	int found = 0;
	*files_read = 0;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char path[160];
		size_t len;
		snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]);
		unsigned char *buf = slurp(path, &len);
		if (!buf)
			continue;
		(*files_read)++;
		if (memmem(buf, len, needle, needle_len))
			found++;
		free(buf);
	}
	return found;
}

TEST(token_plaintext_never_reaches_the_files)
{
	int64_t alice = add_user("alice@example.com", false);
	char token[TOKEN_LEN + 1];
	struct pat p;
	if (!CHECK_EQ_INT(grant_pat_create(st, alice, "ci", SCOPE_READ_CONTENT, 0, token, &p),
			  JT_OK))
		return;
	CHECK_EQ_INT(strlen(token), TOKEN_LEN);

	uint8_t hash[HASH_SHA256_LEN];
	hash_sha256(token, TOKEN_LEN, hash);
	CHECK_EQ_MEM(p.token_hash, hash, STORE_HASH_LEN);

	int files = 0;
	/* Control: the hash is written somewhere, so the scan does see data. */
	CHECK(files_containing(hash, sizeof hash, &files) >= 1);
	CHECK(files >= 1);
	CHECK_EQ_INT(files_containing(token, TOKEN_LEN, &files), 0);
	/* Nor the secret part alone, nor most of it. */
	CHECK_EQ_INT(files_containing(token + TOKEN_TYPE_CHARS, TOKEN_RANDOM_CHARS, &files), 0);
	CHECK_EQ_INT(files_containing(token + TOKEN_DISPLAY_CHARS, 16, &files), 0);

	/* Still true once the store is closed and its WAL folded in. */
	if (!reopen())
		return;
	store_close(st);
	st = NULL;
	CHECK(files_containing(hash, sizeof hash, &files) >= 1);
	CHECK_EQ_INT(files_containing(token, TOKEN_LEN, &files), 0);
	CHECK_EQ_INT(files_containing(token + TOKEN_TYPE_CHARS, TOKEN_RANDOM_CHARS, &files), 0);
}

TEST(granted_pat_is_found_by_the_hash_of_its_token)
{
	int64_t alice = add_user("alice@example.com", false);
	char token[TOKEN_LEN + 1];
	struct pat p, got;
	if (!CHECK_EQ_INT(grant_pat_create(st, alice, "deploy",
					   SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT, 1900000000,
					   token, &p),
			  JT_OK))
		return;
	enum token_kind kind;
	CHECK_EQ_INT(token_parse(token, TOKEN_LEN, &kind), JT_OK);
	CHECK_EQ_INT(kind, TOKEN_PAT);
	uint8_t hash[HASH_SHA256_LEN];
	hash_sha256(token, TOKEN_LEN, hash);
	if (CHECK_EQ_INT(store_pat_find_by_hash(st, hash, &got), JT_OK)) {
		CHECK_EQ_INT(got.id, p.id);
		CHECK_EQ_INT(got.user_id, alice);
		CHECK_EQ_STR(got.name, "deploy");
		CHECK_EQ_STR(got.scopes, "read_content write_content");
		CHECK_EQ_INT(got.expires_at, 1900000000);
		CHECK_EQ_INT(strlen(got.display_prefix), TOKEN_DISPLAY_CHARS);
		CHECK_EQ_MEM(got.display_prefix, token, TOKEN_DISPLAY_CHARS);
	}
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(migrate_is_idempotent_and_reaches_the_known_version);
	RUN_WITH_STORE(newer_schema_is_refused);
	RUN(open_refuses_an_empty_location);
	RUN_WITH_STORE(user_round_trip);
	RUN_WITH_STORE(user_insert_fills_id_and_created_at);
	RUN_WITH_STORE(user_email_is_unique_and_found_in_any_case);
	RUN_WITH_STORE(user_update_writes_the_mutable_fields);
	RUN_WITH_STORE(space_names_are_unique);
	RUN_WITH_STORE(space_insert_fills_id_and_created_at);
	RUN_WITH_STORE(memberships_carry_the_role_permissions);
	RUN_WITH_STORE(member_put_refuses_an_unknown_role);
	RUN_WITH_STORE(space_list_for_a_user);
	RUN_WITH_STORE(pat_round_trip_and_ownership);
	RUN_WITH_STORE(pat_without_expiry_reads_back_as_zero);
	RUN_WITH_STORE(pat_hash_collision_conflicts);
	RUN_WITH_STORE(pat_list_pages_newest_first);
	RUN_WITH_STORE(pat_find_by_hash);
	RUN_WITH_STORE(pat_revoke_keeps_the_first_time);
	RUN_WITH_STORE(pat_revoke_by_any_user);
	RUN_WITH_STORE(pat_rotate_revokes_the_old_and_inserts_the_new);
	RUN_WITH_STORE(pat_rotate_refuses_expired_and_foreign_tokens);
	RUN_WITH_STORE(pat_touch_records_the_use);
	RUN_WITH_STORE(records_survive_close_and_reopen);
	RUN_WITH_STORE(token_plaintext_never_reaches_the_files);
	RUN_WITH_STORE(granted_pat_is_found_by_the_hash_of_its_token);
	crypto_shutdown();
	return check_summary(__FILE__);
}
