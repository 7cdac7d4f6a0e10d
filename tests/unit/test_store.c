/* SPDX-License-Identifier: MIT */
/* src/store: the contract of store.h, one suite run against every driver:
 * an SQLite file in a scratch directory always, and a PostgreSQL database
 * when one is named.
 *
 *   JETON_TEST_PG       a postgres:// URI of a throw-away database (its
 *                       schemas public and jt_copy are dropped); unset: the
 *                       suite runs on SQLite alone
 *   JETON_TEST_PG_DIR   the directory of a tests/pg/cluster.sh cluster
 *                       serving it; unset: the outage test is skipped
 *
 * Each test gets a fresh, migrated store. A few tests at the end are about
 * one driver's own machinery (PostgreSQL's timeouts and reconnection). */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tmpdir.h"
#include "util/time.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_SCHEMA "jt_copy" /* PostgreSQL: a second store in the same database */

/* The driver under test. */
static struct {
	const char *name; /* "sqlite" or "postgres" */
	bool postgres;
	const char *pg_url; /* postgres: the database */
	struct tmpdir dir;  /* sqlite: holds the store's files */
	bool dir_made;
	char location[512]; /* where st lives */
} be;
static struct store *st;
static char label[160];

/* ---- the store's data seen from outside, for checks ---- */

/* Runs sql (several statements allowed) on a connection of the test's own. */
static bool sql_run(const char *sql)
{
	bool ok = false;
	if (be.postgres) {
		PGconn *conn = PQconnectdb(be.pg_url);
		ok = PQstatus(conn) == CONNECTION_OK;
		if (ok) {
			PGresult *r = PQexec(conn, sql);
			ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
			     PQresultStatus(r) == PGRES_TUPLES_OK;
			if (!ok)
				fprintf(stderr, "sql_run: %s", PQerrorMessage(conn));
			PQclear(r);
		}
		PQfinish(conn);
	} else {
		sqlite3 *db = NULL;
		char *err = NULL;
		ok = sqlite3_open(be.location, &db) == SQLITE_OK &&
		     sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK;
		if (!ok)
			fprintf(stderr, "sql_run: %s\n", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
	}
	return ok;
}

/* The integer that a one-value query returns, its parameter ?1 (if any)
 * a text; -1 on error. */
static long long sql_int(const char *sql, const char *param)
{
	long long v = -1;
	if (be.postgres) {
		char text[512];
		snprintf(text, sizeof text, "%s", sql);
		for (char *q = strstr(text, "?1"); q; q = strstr(q, "?1"))
			*q = '$';
		PGconn *conn = PQconnectdb(be.pg_url);
		if (PQstatus(conn) == CONNECTION_OK) {
			PGresult *r = PQexecParams(conn, text, param ? 1 : 0, NULL, &param, NULL,
						   NULL, 0);
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
				v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			else
				fprintf(stderr, "sql_int: %s", PQerrorMessage(conn));
			PQclear(r);
		}
		PQfinish(conn);
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *s = NULL;
		if (sqlite3_open(be.location, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
			if (param)
				sqlite3_bind_text(s, 1, param, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				v = sqlite3_column_int64(s, 0);
		}
		if (v == -1)
			fprintf(stderr, "sql_int: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	return v;
}

/* An empty place for a store: a new scratch directory, or a database
 * whose schemas were dropped. */
static bool fresh_location(void)
{
	if (be.postgres)
		return sql_run("SET client_min_messages = warning;"
			       "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
			       "DROP SCHEMA IF EXISTS " COPY_SCHEMA " CASCADE; "
			       "CREATE SCHEMA " COPY_SCHEMA);
	if (be.dir_made)
		tmpdir_remove(&be.dir);
	be.dir_made = tmpdir_make(&be.dir);
	if (be.dir_made)
		tmpdir_file(&be.dir, "jeton.db", be.location, sizeof be.location);
	return be.dir_made;
}

/* A second, empty store's location beside the first. */
static const char *second_location(char *out, size_t out_len)
{
	if (!be.postgres)
		return tmpdir_file(&be.dir, "second.db", out, out_len);
	/* the same database, with search_path set to the other schema */
	if (strncmp(be.pg_url, "postgres", 8) == 0)
		snprintf(out, out_len, "%s%soptions=-csearch_path%%3D%s", be.pg_url,
			 strchr(be.pg_url, '?') ? "&" : "?", COPY_SCHEMA);
	else
		snprintf(out, out_len, "%s options='-csearch_path=%s'", be.pg_url, COPY_SCHEMA);
	return out;
}

/* Sets the schema version the store records, as a newer jeton would. */
static bool set_schema_version(int version)
{
	char sql[96];
	if (be.postgres)
		snprintf(sql, sizeof sql, "UPDATE jeton_schema SET version = %d", version);
	else
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	return sql_run(sql);
}

static bool setup(void)
{
	st = NULL;
	return CHECK(fresh_location()) && CHECK_EQ_INT(store_open(be.location, 2, &st), JT_OK) &&
	       CHECK_EQ_INT(store_migrate(st), JT_OK);
}

static void teardown(void)
{
	store_close(st);
	st = NULL;
}

static const char *labelled(const char *name)
{
	snprintf(label, sizeof label, "%s: %s", be.name, name);
	return label;
}

static void run_with_store(const char *name, void (*fn)(void))
{
	check_current = labelled(name);
	if (setup())
		check_run(label, fn);
	teardown();
}
#define RUN_WITH_STORE(name) run_with_store(#name, name)
#define RUN_ALONE(name)      check_run(labelled(#name), name)

static bool reopen(void)
{
	store_close(st);
	st = NULL;
	return CHECK_EQ_INT(store_open(be.location, 2, &st), JT_OK) &&
	       CHECK_EQ_INT(store_migrate(st), JT_OK);
}

/* ---- records ---- */

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

static struct app make_app(const char *client_id, bool confidential)
{
	struct app a;
	memset(&a, 0, sizeof a);
	snprintf(a.client_id, sizeof a.client_id, "%s", client_id);
	a.has_secret = confidential;
	if (confidential)
		memset(a.secret_hash, 0x5A, sizeof a.secret_hash);
	a.public_client = !confidential;
	snprintf(a.name, sizeof a.name, "App %s", client_id);
	snprintf(a.redirect_uris, sizeof a.redirect_uris,
		 "https://app.example/cb\nhttp://127.0.0.1:8080/cb");
	snprintf(a.grants, sizeof a.grants, "authorization_code refresh_token");
	snprintf(a.scopes, sizeof a.scopes, "read_content write_content");
	a.access_ttl = 900;
	a.refresh_ttl = 86400;
	a.rotate_refresh = true;
	snprintf(a.token_format, sizeof a.token_format, "opaque");
	a.created_at = 1700000000;
	return a;
}

static int64_t add_app(const char *client_id, bool confidential)
{
	struct app a = make_app(client_id, confidential);
	if (!CHECK_EQ_INT(store_app_insert(st, &a), JT_OK))
		return 0;
	CHECK(a.id > 0);
	return a.id;
}

static struct auth_code make_code(int64_t app, int64_t user, int64_t space, uint8_t seed,
				  int64_t family)
{
	struct auth_code c;
	memset(&c, 0, sizeof c);
	memset(c.hash, seed, sizeof c.hash);
	c.app_id = app;
	c.user_id = user;
	c.space_id = space;
	snprintf(c.redirect_uri, sizeof c.redirect_uri, "https://app.example/cb");
	c.redirect_given = true;
	snprintf(c.scopes, sizeof c.scopes, "read_content");
	snprintf(c.challenge, sizeof c.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	snprintf(c.challenge_method, sizeof c.challenge_method, "S256");
	c.family_id = family;
	c.created_at = 1700000000;
	c.expires_at = 1700000060;
	return c;
}

static struct oauth_token make_token(const char *kind, int64_t app, int64_t user, int64_t space,
				     int64_t family, uint8_t seed)
{
	struct oauth_token t;
	memset(&t, 0, sizeof t);
	memset(t.hash, seed, sizeof t.hash);
	snprintf(t.kind, sizeof t.kind, "%s", kind);
	t.app_id = app;
	t.user_id = user;
	t.space_id = space;
	t.family_id = family;
	snprintf(t.scopes, sizeof t.scopes, "read_content");
	t.created_at = 1700000000;
	t.expires_at = 1700000900;
	return t;
}

/* ---- schema ---- */

TEST(migrate_is_idempotent_and_reaches_the_known_version)
{
	struct store *s = NULL;
	int version = -1, known = -1;

	if (!CHECK(fresh_location()))
		return;
	if (!CHECK_EQ_INT(store_open(be.location, 1, &s), JT_OK))
		return;
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, 0);
	CHECK(known >= 5); /* 001_init ... 005_app_flags */
	CHECK_EQ_INT(store_migrate(s), JT_OK);
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, known);
	CHECK_EQ_INT(store_migrate(s), JT_OK);
	CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
	CHECK_EQ_INT(version, known);
	CHECK_EQ_INT(store_ping(s), JT_OK);
	CHECK_EQ_INT(store_health(s), STORE_HEALTHY);
	store_close(s);
	s = NULL;
	/* A second node (or process) opening the same store migrates nothing. */
	if (CHECK_EQ_INT(store_open(be.location, 1, &s), JT_OK)) {
		CHECK_EQ_INT(store_migrate(s), JT_OK);
		CHECK_EQ_INT(store_schema_version(s, &version, &known), JT_OK);
		CHECK_EQ_INT(version, known);
	}
	store_close(s);
}

/* SQLite: a new store is made of 2 KiB pages (a token's random leaf of the
 * hash index then writes half as much); a store made before keeps its
 * 4 KiB pages and works as before. */
TEST(a_new_sqlite_store_has_2_KiB_pages_and_an_older_one_keeps_its_own)
{
	if (be.postgres)
		return;
	if (!CHECK(fresh_location()) || !CHECK_EQ_INT(store_open(be.location, 1, &st), JT_OK))
		return;
	CHECK_EQ_INT(store_migrate(st), JT_OK);
	CHECK_EQ_INT(sql_int("PRAGMA page_size", NULL), 2048);
	store_close(st);
	st = NULL;

	if (!CHECK(fresh_location()) ||
	    !CHECK(sql_run("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
			   "CREATE TABLE made_before(x)")))
		return;
	if (!CHECK_EQ_INT(store_open(be.location, 1, &st), JT_OK))
		return;
	CHECK_EQ_INT(store_migrate(st), JT_OK);
	CHECK_EQ_INT(sql_int("PRAGMA page_size", NULL), 4096);
	int64_t uid = add_user("old@example.com", false);
	struct pat p;
	char token[TOKEN_LEN + 1];
	CHECK_EQ_INT(pat_create(st, uid, "old store", SCOPE_READ_CONTENT, 0, token, &p), JT_OK);
	CHECK(p.id > 0);
	store_close(st);
	st = NULL;
}

struct migrator {
	pthread_barrier_t *start;
	struct store *s;
	enum jt_status status;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	pthread_barrier_wait(m->start);
	m->status = store_migrate(m->s);
	return NULL;
}

TEST(two_nodes_migrating_at_once_both_succeed)
{
	struct migrator m[2];
	pthread_t t[2];
	pthread_barrier_t start;
	int version = -1, known = -1;

	if (!CHECK(fresh_location()))
		return;
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		m[i] = (struct migrator){.start = &start};
		CHECK_EQ_INT(store_open(be.location, 1, &m[i].s), JT_OK);
	}
	if (m[0].s && m[1].s) {
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, migrate_thread, &m[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		CHECK_EQ_INT(m[0].status, JT_OK);
		CHECK_EQ_INT(m[1].status, JT_OK);
		CHECK_EQ_INT(store_schema_version(m[0].s, &version, &known), JT_OK);
		CHECK_EQ_INT(version, known);
		CHECK_EQ_INT(sql_int("SELECT count(*) FROM roles", NULL), 3); /* seeded once */
	}
	for (int i = 0; i < 2; i++)
		store_close(m[i].s);
	pthread_barrier_destroy(&start);
}

TEST(newer_schema_is_refused)
{
	int version, known;
	if (!CHECK_EQ_INT(store_schema_version(st, &version, &known), JT_OK))
		return;
	CHECK(set_schema_version(known + 1));
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
	/* No password: stored as NULL, read back as "". */
	CHECK_EQ_INT(add_user("nopass@example.com", false) > 0, 1);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM users WHERE password_hash IS NULL", NULL), 1);
}

TEST(user_insert_fills_id_and_created_at)
{
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

TEST(user_list_pages_newest_first)
{
	int64_t ids[3];
	ids[0] = add_user("a@example.com", false);
	ids[1] = add_user("b@example.com", false);
	ids[2] = add_user("c@example.com", false);
	struct store_page page = {.before = 0, .limit = 2};
	struct user *items = NULL;
	size_t n = 99;
	if (CHECK_EQ_INT(store_user_list(st, &page, &items, &n), JT_OK) && CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(items[0].id, ids[2]);
		CHECK_EQ_INT(items[1].id, ids[1]);
		page.before = items[1].id;
	}
	store_list_free(items);
	if (CHECK_EQ_INT(store_user_list(st, &page, &items, &n), JT_OK) && CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(items[0].email, "a@example.com");
	store_list_free(items);
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
	int64_t bob = add_user("Bob@example.com", false);
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
		/* Ordered by space id. */
		CHECK_EQ_INT(ms[0].space_id, docs);
		CHECK_EQ_STR(ms[0].space_name, "docs");
		CHECK_EQ_STR(ms[0].role, "editor");
		CHECK_EQ_STR(ms[0].permissions, "read_content write_content");
		CHECK_EQ_STR(ms[0].email, "alice@example.com");
		CHECK_EQ_INT(ms[1].space_id, blog);
		CHECK_EQ_STR(ms[1].role, "viewer");
		CHECK_EQ_STR(ms[1].permissions, "read_content");
	}
	store_list_free(ms);

	/* put again changes the role. */
	CHECK_EQ_INT(store_member_put(st, docs, alice, "admin"), JT_OK);
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 2))
		CHECK_EQ_STR(ms[0].permissions, "read_content write_content manage_space");
	store_list_free(ms);

	/* By email, ignoring case, as SQLite's NOCASE column sorts. */
	if (CHECK_EQ_INT(store_member_list(st, docs, &ms, &n), JT_OK) && CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_STR(ms[0].email, "alice@example.com");
		CHECK_EQ_STR(ms[1].email, "Bob@example.com");
	}
	store_list_free(ms);

	CHECK_EQ_INT(store_member_delete(st, blog, alice), JT_OK);
	CHECK_EQ_INT(store_member_delete(st, blog, alice), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1))
		CHECK_EQ_INT(ms[0].space_id, docs);
	store_list_free(ms);
}

TEST(member_put_refuses_an_unknown_role_or_record)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	struct membership *ms = NULL;
	size_t n = 99;
	CHECK_EQ_INT(store_member_put(st, docs, alice, "owner"), JT_EINVAL);
	CHECK_EQ_INT(store_member_put(st, docs, alice, "Editor"), JT_EINVAL);
	CHECK_EQ_INT(store_member_put(st, docs + 1000, alice, "viewer"), JT_EINVAL);
	CHECK_EQ_INT(store_member_put(st, docs, alice + 1000, "viewer"), JT_EINVAL);
	CHECK_EQ_INT(store_memberships_of_user(st, alice, &ms, &n), JT_OK);
	CHECK_EQ_INT(n, 0);
	store_list_free(ms);
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

	if (CHECK_EQ_INT(store_space_list(st, alice, true, &sp, &n), JT_OK) && CHECK_EQ_INT(n, 1)) {
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
	p.expires_at = 4102444800; /* 2100: past 32 bits */
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
		CHECK_EQ_INT(got.expires_at, 4102444800);
		CHECK_EQ_INT(got.last_used_at, 0);
		CHECK_EQ_STR(got.last_used_ip, "");
		CHECK_EQ_INT(got.revoked_at, 0);
	}
	CHECK_EQ_INT(store_pat_get(st, bob, p.id, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_get(st, 0, p.id, &got), JT_OK); /* 0: any user */
	CHECK_EQ_INT(got.user_id, alice);
	CHECK_EQ_INT(store_pat_get(st, alice, p.id + 1000, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_get(st, 0, p.id + 1000, &got), JT_ENOTFOUND);
	/* The hash is stored as 32 raw bytes. */
	CHECK_EQ_INT(sql_int("SELECT length(token_hash) FROM pats", NULL), 32);
}

TEST(pat_of_an_unknown_user_is_refused)
{
	struct pat p = make_pat(12345, 0x01, "orphan");
	CHECK_EQ_INT(store_pat_insert(st, &p), JT_EINVAL);
}

TEST(pat_without_expiry_reads_back_as_zero)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x11, "forever");
	struct pat got;
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &got), JT_OK))
		CHECK_EQ_INT(got.expires_at, 0);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM pats WHERE expires_at IS NULL", NULL), 1);
}

TEST(pat_hash_collision_conflicts)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	add_pat(alice, 0x42, "first");
	struct pat again = make_pat(bob, 0x42, "second");
	CHECK_EQ_INT(store_pat_insert(st, &again), JT_ECONFLICT);
	/* The connection is fine afterwards. */
	CHECK(add_pat(bob, 0x43, "third") > 0);
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
	/* Bytes that text would mangle: NUL, quote, backslash, high bit. */
	struct pat odd = make_pat(alice, 0x00, "odd");
	odd.token_hash[1] = '\'';
	odd.token_hash[2] = '\\';
	odd.token_hash[3] = 0xFF;
	if (CHECK_EQ_INT(store_pat_insert(st, &odd), JT_OK) &&
	    CHECK_EQ_INT(store_pat_find_by_hash(st, odd.token_hash, &got), JT_OK))
		CHECK_EQ_MEM(got.token_hash, odd.token_hash, STORE_HASH_LEN);
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

	if (!CHECK_EQ_INT(store_pat_rotate(st, alice, old_id, 5000, 0, &fresh), JT_OK))
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
	CHECK_EQ_INT(store_pat_rotate(st, alice, old_id, 6000, 0, &again), JT_ECONFLICT);
	CHECK_EQ_INT(store_pat_find_by_hash(st, again.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, old_id, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 5000);

	/* A colliding new hash rolls the revocation back. */
	int64_t other = add_pat(alice, 0x44, "other");
	struct pat clash = make_pat(alice, 0x42, "clash");
	CHECK_EQ_INT(store_pat_rotate(st, alice, other, 7000, 0, &clash), JT_ECONFLICT);
	if (CHECK_EQ_INT(store_pat_get(st, alice, other, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);
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
	CHECK_EQ_INT(store_pat_rotate(st, alice, expired.id, 5000, 0, &fresh), JT_ECONFLICT);
	CHECK_EQ_INT(store_pat_find_by_hash(st, fresh.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, expired.id, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);

	int64_t mine = add_pat(alice, 0x53, "mine");
	struct pat theirs = make_pat(bob, 0x54, "mine");
	CHECK_EQ_INT(store_pat_rotate(st, bob, mine, 5000, 0, &theirs), JT_ENOTFOUND);
	CHECK_EQ_INT(store_pat_find_by_hash(st, theirs.token_hash, &got), JT_ENOTFOUND);
	if (CHECK_EQ_INT(store_pat_get(st, alice, mine, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);
}

/* Waits up to 5 s for the PAT's last use to become want (touches may be
 * written asynchronously), leaving the record in out. */
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
	if (CHECK_EQ_INT(store_pat_get(st, alice, other, &got), JT_OK))
		CHECK_EQ_INT(got.last_used_at, 0);
}

/* ---- apps ---- */

TEST(app_round_trip_update_and_delete)
{
	int64_t owner = add_user("owner@example.com", true);
	struct app a = make_app("cid_one", true), got;
	a.owner_id = owner;
	if (!CHECK_EQ_INT(store_app_insert(st, &a), JT_OK))
		return;
	if (CHECK_EQ_INT(store_app_get(st, a.id, &got), JT_OK)) {
		CHECK_EQ_STR(got.client_id, "cid_one");
		CHECK(got.has_secret);
		CHECK_EQ_MEM(got.secret_hash, a.secret_hash, STORE_HASH_LEN);
		CHECK_EQ_STR(got.redirect_uris, a.redirect_uris);
		CHECK_EQ_STR(got.grants, a.grants);
		CHECK_EQ_STR(got.scopes, a.scopes);
		CHECK(!got.public_client);
		CHECK_EQ_INT(got.access_ttl, 900);
		CHECK_EQ_INT(got.refresh_ttl, 86400);
		CHECK(got.rotate_refresh);
		CHECK_EQ_STR(got.token_format, "opaque");
		CHECK_EQ_INT(got.owner_id, owner);
		CHECK_EQ_INT(got.created_at, 1700000000);
	}
	struct app pub = make_app("cid_two", false);
	if (CHECK_EQ_INT(store_app_insert(st, &pub), JT_OK) &&
	    CHECK_EQ_INT(store_app_find_by_client_id(st, "cid_two", &got), JT_OK)) {
		CHECK_EQ_INT(got.id, pub.id);
		CHECK(!got.has_secret);
		CHECK(got.public_client);
		CHECK_EQ_INT(got.owner_id, 0);
	}
	struct app dup = make_app("cid_one", false);
	CHECK_EQ_INT(store_app_insert(st, &dup), JT_ECONFLICT);
	CHECK_EQ_INT(store_app_find_by_client_id(st, "CID_ONE", &got), JT_ENOTFOUND);

	a.public_client = true;
	a.rotate_refresh = false;
	a.access_ttl = 60;
	snprintf(a.name, sizeof a.name, "Renamed");
	snprintf(a.token_format, sizeof a.token_format, "jwt");
	CHECK_EQ_INT(store_app_update(st, &a), JT_OK);
	if (CHECK_EQ_INT(store_app_get(st, a.id, &got), JT_OK)) {
		CHECK_EQ_STR(got.name, "Renamed");
		CHECK(got.public_client);
		CHECK(!got.rotate_refresh);
		CHECK_EQ_INT(got.access_ttl, 60);
		CHECK_EQ_STR(got.token_format, "jwt");
		CHECK(got.has_secret); /* update leaves the secret */
	}
	uint8_t secret[STORE_HASH_LEN];
	memset(secret, 0x77, sizeof secret);
	CHECK_EQ_INT(store_app_set_secret(st, a.id, secret, 5000), JT_OK);
	if (CHECK_EQ_INT(store_app_get(st, a.id, &got), JT_OK))
		CHECK_EQ_MEM(got.secret_hash, secret, STORE_HASH_LEN);
	CHECK_EQ_INT(store_app_set_secret(st, a.id + 1000, secret, 5000), JT_ENOTFOUND);

	struct app *items = NULL;
	size_t n = 0;
	struct store_page page = {.before = 0, .limit = 10};
	if (CHECK_EQ_INT(store_app_list(st, &page, &items, &n), JT_OK) && CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(items[0].id, pub.id);
		CHECK_EQ_INT(items[1].id, a.id);
	}
	store_list_free(items);

	CHECK_EQ_INT(store_app_delete(st, a.id), JT_OK);
	CHECK_EQ_INT(store_app_delete(st, a.id), JT_ENOTFOUND);
	CHECK_EQ_INT(store_app_get(st, a.id, &got), JT_ENOTFOUND);
	a.id = pub.id + 1000;
	CHECK_EQ_INT(store_app_update(st, &a), JT_ENOTFOUND);
}

TEST(app_delete_takes_its_codes_and_tokens)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct auth_code code = make_code(app, alice, docs, 0x10, 77);
	struct oauth_token t = make_token("access", app, alice, docs, 77, 0x20), got;
	struct auth_code out;
	CHECK_EQ_INT(store_code_insert(st, &code), JT_OK);
	CHECK_EQ_INT(store_oauth_insert(st, &t, 1), JT_OK);
	CHECK_EQ_INT(store_app_delete(st, app), JT_OK);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, t.hash, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_code_get(st, code.hash, &out), JT_ENOTFOUND);
	CHECK_EQ_INT(store_code_redeem(st, code.hash, 5000, NULL, 0), JT_ENOTFOUND);
}

/* ---- authorization codes ---- */

TEST(code_is_redeemed_once)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct auth_code code = make_code(app, alice, docs, 0x10, 4242), out;
	struct oauth_token pair[2] = {make_token("access", app, alice, docs, 4242, 0x21),
				      make_token("refresh", app, alice, docs, 4242, 0x22)};
	struct oauth_token again = make_token("access", app, alice, docs, 4242, 0x23), got;
	if (!CHECK_EQ_INT(store_code_insert(st, &code), JT_OK))
		return;
	CHECK_EQ_INT(store_code_insert(st, &code), JT_ECONFLICT);
	if (CHECK_EQ_INT(store_code_get(st, code.hash, &out), JT_OK)) {
		CHECK_EQ_MEM(out.hash, code.hash, STORE_HASH_LEN);
		CHECK_EQ_INT(out.app_id, app);
		CHECK_EQ_INT(out.user_id, alice);
		CHECK_EQ_INT(out.space_id, docs);
		CHECK_EQ_STR(out.redirect_uri, "https://app.example/cb");
		CHECK(out.redirect_given);
		CHECK_EQ_STR(out.scopes, "read_content");
		CHECK_EQ_STR(out.challenge, code.challenge);
		CHECK_EQ_STR(out.challenge_method, "S256");
		CHECK_EQ_INT(out.family_id, 4242);
		CHECK_EQ_INT(out.created_at, 1700000000);
		CHECK_EQ_INT(out.expires_at, 1700000060);
		CHECK_EQ_INT(out.used_at, 0);
	}
	if (CHECK_EQ_INT(store_code_redeem(st, code.hash, 5000, pair, 2), JT_OK))
		CHECK(pair[0].id > 0 && pair[1].id > pair[0].id);
	if (CHECK_EQ_INT(store_code_get(st, code.hash, &out), JT_OK))
		CHECK_EQ_INT(out.used_at, 5000);
	/* A replay inserts nothing and revokes what the code gave. */
	CHECK_EQ_INT(store_code_redeem(st, code.hash, 6000, &again, 1), JT_ECONFLICT);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, again.hash, &got), JT_ENOTFOUND);
	for (int i = 0; i < 2; i++)
		if (CHECK_EQ_INT(store_oauth_find_by_hash(st, pair[i].hash, &got), JT_OK))
			CHECK_EQ_INT(got.revoked_at, 6000);
	uint8_t unknown[STORE_HASH_LEN];
	memset(unknown, 0x11, sizeof unknown);
	CHECK_EQ_INT(store_code_get(st, unknown, &out), JT_ENOTFOUND);
	CHECK_EQ_INT(store_code_redeem(st, unknown, 5000, &again, 1), JT_ENOTFOUND);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, again.hash, &got), JT_ENOTFOUND);
	/* A code for an unknown app is refused. */
	struct auth_code orphan = make_code(app + 1000, alice, docs, 0x12, 1);
	CHECK_EQ_INT(store_code_insert(st, &orphan), JT_EINVAL);
}

struct redeemer {
	pthread_barrier_t *start;
	const uint8_t *hash;
	struct store *s;
	struct oauth_token token;
	enum jt_status status;
};

static void *redeem_thread(void *arg)
{
	struct redeemer *r = arg;
	pthread_barrier_wait(r->start);
	r->status = store_code_redeem(r->s, r->hash, 5000, &r->token, 1);
	return NULL;
}

/* Two redemptions of one code at the same moment, on two connections (and,
 * every other round, two stores: two nodes): exactly one wins, the other
 * is a replay, and the winner's token ends revoked. */
TEST(code_redeem_races_have_one_winner_whose_tokens_die)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct store *node2 = NULL;
	pthread_barrier_t start;
	if (!CHECK_EQ_INT(store_open(be.location, 2, &node2), JT_OK))
		return;
	pthread_barrier_init(&start, NULL, 2);
	for (int round = 0; round < 40; round++) {
		int64_t family = 100 + round;
		struct auth_code code =
			make_code(app, alice, docs, (uint8_t)(0x80 + round), family);
		if (!CHECK_EQ_INT(store_code_insert(st, &code), JT_OK))
			break;
		struct redeemer r[2];
		pthread_t t[2];
		for (int i = 0; i < 2; i++) {
			r[i] = (struct redeemer){.start = &start, .hash = code.hash};
			r[i].token = make_token("access", app, alice, docs, family,
						(uint8_t)(1 + 2 * round + i));
			r[i].s = (i == 1 && round % 2) ? node2 : st;
			pthread_create(&t[i], NULL, redeem_thread, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		int won = (r[0].status == JT_OK) + (r[1].status == JT_OK);
		int replayed = (r[0].status == JT_ECONFLICT) + (r[1].status == JT_ECONFLICT);
		CHECK_EQ_INT(won, 1);
		CHECK_EQ_INT(replayed, 1);
		struct oauth_token got;
		for (int i = 0; i < 2; i++) {
			enum jt_status found = store_oauth_find_by_hash(st, r[i].token.hash, &got);
			if (r[i].status == JT_OK && CHECK_EQ_INT(found, JT_OK))
				CHECK_EQ_INT(got.revoked_at, 5000);
			else if (r[i].status != JT_OK)
				CHECK_EQ_INT(found, JT_ENOTFOUND);
		}
	}
	pthread_barrier_destroy(&start);
	store_close(node2);
}

struct done_record {
	atomic_int calls;
	enum jt_status status;
};

static void record_done(void *arg, enum jt_status status)
{
	struct done_record *d = arg;
	d->status = status;
	atomic_fetch_add(&d->calls, 1);
}

static bool wait_done(struct done_record *d)
{
	for (int i = 0; i < 500 && atomic_load(&d->calls) == 0; i++)
		usleep(10 * 1000);
	return atomic_load(&d->calls) == 1;
}

TEST(async_verbs_report_through_done)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct auth_code code = make_code(app, alice, docs, 0x30, 9);
	struct oauth_token first = make_token("access", app, alice, docs, 9, 0x34);
	struct done_record d = {0};
	CHECK_EQ_INT(store_code_insert(st, &code), JT_OK);

	CHECK_EQ_INT(store_code_redeem_async(st, code.hash, 5000, &first, 1, record_done, &d),
		     JT_OK);
	if (CHECK(wait_done(&d))) {
		CHECK_EQ_INT(d.status, JT_OK);
		CHECK(first.id > 0);
	}
	d = (struct done_record){0};
	CHECK_EQ_INT(store_code_redeem_async(st, code.hash, 5001, NULL, 0, record_done, &d), JT_OK);
	if (CHECK(wait_done(&d)))
		CHECK_EQ_INT(d.status, JT_ECONFLICT);

	struct oauth_token pair[2] = {make_token("access", app, alice, docs, 9, 0x31),
				      make_token("refresh", app, alice, docs, 9, 0x32)};
	d = (struct done_record){0};
	CHECK_EQ_INT(store_oauth_insert_async(st, pair, 2, record_done, &d), JT_OK);
	if (CHECK(wait_done(&d)) && CHECK_EQ_INT(d.status, JT_OK)) {
		CHECK(pair[0].id > 0 && pair[1].id > pair[0].id);
		struct oauth_token got;
		CHECK_EQ_INT(store_oauth_find_by_hash(st, pair[1].hash, &got), JT_OK);
	}
	/* A clash fails the whole batch, reported through done. */
	struct oauth_token clash[2] = {make_token("access", app, alice, docs, 9, 0x33),
				       make_token("refresh", app, alice, docs, 9, 0x32)};
	d = (struct done_record){0};
	CHECK_EQ_INT(store_oauth_insert_async(st, clash, 2, record_done, &d), JT_OK);
	if (CHECK(wait_done(&d)))
		CHECK_EQ_INT(d.status, JT_ECONFLICT);
	struct oauth_token got;
	CHECK_EQ_INT(store_oauth_find_by_hash(st, clash[0].hash, &got), JT_ENOTFOUND);
}

/* Writes queued together share the writer's transaction; one that fails
 * (a hash taken) is undone alone, and the others are stored. */
TEST(a_failed_write_leaves_the_others_of_its_batch)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct oauth_token taken = make_token("access", app, alice, docs, 0, 0x60), got;
	CHECK_EQ_INT(store_oauth_insert(st, &taken, 1), JT_OK);
	struct oauth_token t[8];
	struct done_record d[8];
	for (int i = 0; i < 8; i++) {
		uint8_t seed = (uint8_t)(i == 3 ? 0x60 : 0x61 + i); /* the fourth is taken */
		t[i] = make_token("access", app, alice, docs, 0, seed);
		d[i] = (struct done_record){0};
		CHECK_EQ_INT(store_oauth_insert_async(st, &t[i], 1, record_done, &d[i]), JT_OK);
	}
	for (int i = 0; i < 8; i++) {
		if (!CHECK(wait_done(&d[i])))
			continue;
		CHECK_EQ_INT(d[i].status, i == 3 ? JT_ECONFLICT : JT_OK);
		if (i != 3)
			CHECK_EQ_INT(store_oauth_find_by_hash(st, t[i].hash, &got), JT_OK);
	}
}

/* Many writes queued at once go out together (pipelined on PostgreSQL):
 * each gets its own status and the id the store gave its row, also when
 * one of them fails and the batch runs again write by write. */
TEST(a_batch_reports_each_write_and_its_id)
{
	enum {
		N = 40,
		TAKEN = 30
	};
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct oauth_token taken = make_token("access", app, alice, docs, 0, 0x60), got;
	CHECK_EQ_INT(store_oauth_insert(st, &taken, 1), JT_OK);
	for (int round = 0; round < 2; round++) {
		struct oauth_token t[N];
		struct done_record d[N];
		for (int i = 0; i < N; i++) {
			bool clash = round == 1 && i == TAKEN;
			t[i] = make_token("access", app, alice, docs, 0,
					  (uint8_t)(clash ? 0x60 : 0x70 + round * N + i));
			d[i] = (struct done_record){0};
			CHECK_EQ_INT(store_oauth_insert_async(st, &t[i], 1, record_done, &d[i]),
				     JT_OK);
		}
		for (int i = 0; i < N; i++) {
			bool clash = round == 1 && i == TAKEN;
			if (!CHECK(wait_done(&d[i])))
				continue;
			CHECK_EQ_INT(d[i].status, clash ? JT_ECONFLICT : JT_OK);
			if (clash)
				continue;
			CHECK_EQ_INT(store_oauth_find_by_hash(st, t[i].hash, &got), JT_OK);
			CHECK_EQ_INT(got.id, t[i].id);
		}
	}
}

/* ---- retention ---- */

#define NOW    2000000000LL
#define DAY    86400LL
#define CUTOFF (NOW - 30 * DAY)

/* Of each kind, rows that are dead at CUTOFF and rows that must stay. */
TEST(purge_deletes_exactly_what_can_never_be_used_again)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct pat p[5];
	/* dead: expired long ago, revoked long ago; kept: no expiry, expired
	 * and revoked within the window */
	int64_t pat_expires[5] = {NOW - 40 * DAY, 0, 0, NOW - 2 * DAY, 0};
	int64_t pat_revoked[5] = {0, NOW - 31 * DAY, 0, 0, NOW - DAY};
	for (int i = 0; i < 5; i++) {
		p[i] = make_pat(alice, (uint8_t)(0x10 + i), "p");
		p[i].expires_at = pat_expires[i];
		CHECK_EQ_INT(store_pat_insert(st, &p[i]), JT_OK);
		if (pat_revoked[i])
			CHECK_EQ_INT(store_pat_revoke(st, 0, p[i].id, pat_revoked[i], &p[i]),
				     JT_OK);
	}
	struct oauth_token t[5];
	int64_t tok_expires[5] = {NOW - 31 * DAY, NOW + DAY, NOW + DAY, NOW - DAY, NOW + DAY};
	int64_t tok_revoked[5] = {0, NOW - 40 * DAY, 0, 0, 0};
	for (int i = 0; i < 5; i++) {
		t[i] = make_token(i == 2 ? "refresh" : "access", app, alice, docs, 7,
				  (uint8_t)(0x20 + i));
		t[i].expires_at = tok_expires[i];
		CHECK_EQ_INT(store_oauth_insert(st, &t[i], 1), JT_OK);
		if (tok_revoked[i])
			CHECK_EQ_INT(store_oauth_revoke(st, t[i].id, tok_revoked[i]), JT_OK);
	}
	/* a rotated refresh token stays until it expires: its reuse revokes
	 * the family */
	struct oauth_token next = make_token("refresh", app, alice, docs, 7, 0x2A);
	next.expires_at = NOW + DAY;
	CHECK_EQ_INT(store_oauth_refresh(st, t[2].id, false, NOW - 50 * DAY, &next, 1, NULL),
		     JT_OK);
	/* codes: unused and expired (dead), used and expired within the window
	 * (kept: a replay still revokes), used long ago (dead), unexpired */
	struct auth_code c[4];
	int64_t code_expires[4] = {NOW - 60, NOW - DAY, NOW - 31 * DAY, NOW + 60};
	for (int i = 0; i < 4; i++) {
		c[i] = make_code(app, alice, docs, (uint8_t)(0x30 + i), 100 + i);
		c[i].expires_at = code_expires[i];
		CHECK_EQ_INT(store_code_insert(st, &c[i]), JT_OK);
		if (i == 1 || i == 2)
			CHECK_EQ_INT(
				store_code_redeem(st, c[i].hash, c[i].expires_at - 30, NULL, 0),
				JT_OK);
	}
	struct audit_event e[3];
	int64_t audit_at[3] = {NOW - 400 * DAY, NOW - 366 * DAY, NOW - 10 * DAY};
	for (int i = 0; i < 3; i++) {
		memset(&e[i], 0, sizeof e[i]);
		e[i].at = audit_at[i];
		snprintf(e[i].actor, sizeof e[i].actor, "cli");
		snprintf(e[i].action, sizeof e[i].action, "token.created");
		CHECK_EQ_INT(store_audit_insert(st, &e[i]), JT_OK);
	}
	struct session s[2];
	for (int i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof s[i]);
		memset(s[i].hash, 0x40 + i, sizeof s[i].hash);
		s[i].user_id = alice;
		s[i].created_at = NOW - 2 * DAY;
		s[i].expires_at = i == 0 ? NOW - 1 : NOW + 3600; /* the writer's queue is FIFO: */
		CHECK_EQ_INT(store_session_insert(st, &s[i]), JT_OK); /* the events are in */
	}

	int64_t dead[PURGE_KINDS] = {[PURGE_CODES] = 2,
				     [PURGE_SESSIONS] = 1,
				     [PURGE_PATS] = 2,
				     [PURGE_TOKENS] = 2,
				     [PURGE_AUDIT] = 2};
	for (int k = 0; k < PURGE_KINDS; k++) {
		int64_t n = -1, cutoff = k == PURGE_AUDIT ? NOW - 365 * DAY : CUTOFF;
		CHECK_EQ_INT(store_purge_count(st, (enum purge_kind)k, cutoff, NOW, &n), JT_OK);
		CHECK_EQ_INT(n, dead[k]);
		/* one row per transaction, then none is left */
		for (int64_t left = dead[k]; left >= 0; left--) {
			CHECK_EQ_INT(store_purge(st, (enum purge_kind)k, cutoff, NOW, 1, &n),
				     JT_OK);
			CHECK_EQ_INT(n, left > 0 ? 1 : 0);
		}
		CHECK_EQ_INT(store_purge_count(st, (enum purge_kind)k, cutoff, NOW, &n), JT_OK);
		CHECK_EQ_INT(n, 0);
	}
	struct pat got_pat;
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(store_pat_get(st, 0, p[i].id, &got_pat), i < 2 ? JT_ENOTFOUND : JT_OK);
	struct oauth_token got_tok;
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(store_oauth_find_by_hash(st, t[i].hash, &got_tok),
			     i < 2 ? JT_ENOTFOUND : JT_OK);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, next.hash, &got_tok), JT_OK);
	struct auth_code got_code;
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(store_code_get(st, c[i].hash, &got_code),
			     i == 0 || i == 2 ? JT_ENOTFOUND : JT_OK);
	struct session got_s;
	CHECK_EQ_INT(store_session_find(st, s[0].hash, &got_s), JT_ENOTFOUND);
	CHECK_EQ_INT(store_session_find(st, s[1].hash, &got_s), JT_OK);
	struct audit_filter all = {.until = 0};
	struct audit_event *events = NULL;
	size_t nevents = 0;
	struct store_page page = {.limit = 100};
	CHECK_EQ_INT(store_audit_list(st, &all, &page, &events, &nevents), JT_OK);
	if (CHECK_EQ_INT(nevents, 1))
		CHECK_EQ_INT(events[0].at, audit_at[2]);
	store_list_free(events);

	CHECK_EQ_INT(store_purge(st, PURGE_PATS, CUTOFF, NOW, 0, &(int64_t){0}), JT_EINVAL);
	CHECK_EQ_INT(store_purge(st, PURGE_PATS, CUTOFF, NOW, LIMIT_PURGE_BATCH + 1, &(int64_t){0}),
		     JT_EINVAL);
	/* what the deletions freed goes back, a bounded part at a time */
	bool more = true;
	for (int i = 0; i < 100 && more; i++)
		CHECK_EQ_INT(store_reclaim(st, &more), JT_OK);
	CHECK(!more);
}

/* ---- OAuth tokens ---- */

TEST(oauth_tokens_round_trip_and_revoke)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct oauth_token t[3] = {make_token("access", app, alice, docs, 5, 0x41),
				   make_token("refresh", app, alice, docs, 5, 0x42),
				   make_token("client", app, 0, 0, 0, 0x43)};
	struct oauth_token got;
	if (!CHECK_EQ_INT(store_oauth_insert(st, t, 3), JT_OK))
		return;
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[0].hash, &got), JT_OK)) {
		CHECK_EQ_INT(got.id, t[0].id);
		CHECK_EQ_STR(got.kind, "access");
		CHECK_EQ_INT(got.app_id, app);
		CHECK_EQ_INT(got.user_id, alice);
		CHECK_EQ_INT(got.space_id, docs);
		CHECK_EQ_INT(got.family_id, 5);
		CHECK_EQ_STR(got.scopes, "read_content");
		CHECK_EQ_INT(got.expires_at, 1700000900);
		CHECK_EQ_INT(got.revoked_at, 0);
		CHECK_EQ_INT(got.rotated_at, 0);
	}
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[2].hash, &got), JT_OK)) {
		CHECK_EQ_INT(got.user_id, 0); /* client credentials: stored as NULL */
		CHECK_EQ_INT(got.space_id, 0);
	}
	/* A user's own password grant: no app. */
	struct oauth_token own = make_token("access", 0, alice, 0, 0, 0x44);
	CHECK_EQ_INT(store_oauth_insert(st, &own, 1), JT_OK);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, own.hash, &got), JT_OK))
		CHECK_EQ_INT(got.app_id, 0);

	CHECK_EQ_INT(store_oauth_revoke(st, t[2].id, 3000), JT_OK);
	CHECK_EQ_INT(store_oauth_revoke(st, t[2].id, 4000), JT_OK);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[2].hash, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 3000);

	CHECK_EQ_INT(store_oauth_revoke_family(st, 5, 3500), JT_OK);
	for (int i = 0; i < 2; i++)
		if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[i].hash, &got), JT_OK))
			CHECK_EQ_INT(got.revoked_at, 3500);
	/* Family 0 is no family: revoking it touches nothing. */
	CHECK_EQ_INT(store_oauth_revoke_family(st, 0, 3600), JT_OK);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, own.hash, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);

	/* One clash: none of the batch is stored. */
	struct oauth_token batch[2] = {make_token("access", app, alice, docs, 6, 0x45),
				       make_token("refresh", app, alice, docs, 6, 0x41)};
	CHECK_EQ_INT(store_oauth_insert(st, batch, 2), JT_ECONFLICT);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, batch[0].hash, &got), JT_ENOTFOUND);
}

TEST(oauth_refresh_rotates_once)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	struct oauth_token first = make_token("refresh", app, alice, docs, 8, 0x51), got;
	if (!CHECK_EQ_INT(store_oauth_insert(st, &first, 1), JT_OK))
		return;
	struct oauth_token next[2] = {make_token("access", app, alice, docs, 8, 0x52),
				      make_token("refresh", app, alice, docs, 8, 0x53)};
	CHECK_EQ_INT(store_oauth_refresh(st, first.id, false, 7000, next, 2, NULL), JT_OK);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, first.hash, &got), JT_OK))
		CHECK_EQ_INT(got.rotated_at, 7000);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, next[1].hash, &got), JT_OK);

	/* Reuse: refused, and nothing new is stored. */
	struct oauth_token again[2] = {make_token("access", app, alice, docs, 8, 0x54),
				       make_token("refresh", app, alice, docs, 8, 0x55)};
	CHECK_EQ_INT(store_oauth_refresh(st, first.id, false, 7100, again, 2, NULL), JT_ECONFLICT);
	CHECK_EQ_INT(store_oauth_find_by_hash(st, again[0].hash, &got), JT_ENOTFOUND);

	/* keep_old: the old one stays usable. */
	struct oauth_token access = make_token("access", app, alice, docs, 8, 0x56);
	CHECK_EQ_INT(store_oauth_refresh(st, next[1].id, true, 7200, &access, 1, NULL), JT_OK);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, next[1].hash, &got), JT_OK))
		CHECK_EQ_INT(got.rotated_at, 0);

	/* A revoked refresh token cannot rotate. */
	CHECK_EQ_INT(store_oauth_revoke(st, next[1].id, 7300), JT_OK);
	struct oauth_token late = make_token("access", app, alice, docs, 8, 0x57);
	CHECK_EQ_INT(store_oauth_refresh(st, next[1].id, false, 7400, &late, 1, NULL),
		     JT_ECONFLICT);
}

struct refresher {
	pthread_barrier_t *start;
	int64_t old_id;
	struct oauth_token fresh;
	enum jt_status status;
};

static void *refresh_thread(void *arg)
{
	struct refresher *r = arg;
	pthread_barrier_wait(r->start);
	r->status = store_oauth_refresh(st, r->old_id, false, 8000, &r->fresh, 1, NULL);
	return NULL;
}

TEST(oauth_refresh_races_have_one_winner)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t app = add_app("cid", true);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	for (int round = 0; round < 20; round++) {
		struct oauth_token old = make_token("refresh", app, alice, docs, 9, (uint8_t)round);
		if (!CHECK_EQ_INT(store_oauth_insert(st, &old, 1), JT_OK))
			break;
		struct refresher r[2];
		pthread_t t[2];
		for (int i = 0; i < 2; i++) {
			r[i] = (struct refresher){.start = &start, .old_id = old.id};
			r[i].fresh = make_token("refresh", app, alice, docs, 9,
						(uint8_t)(0x40 + 2 * round + i));
			pthread_create(&t[i], NULL, refresh_thread, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		CHECK_EQ_INT((r[0].status == JT_OK) + (r[1].status == JT_OK), 1);
		CHECK_EQ_INT((r[0].status == JT_ECONFLICT) + (r[1].status == JT_ECONFLICT), 1);
	}
	pthread_barrier_destroy(&start);
}

/* ---- sessions, audit, keys ---- */

TEST(session_round_trip)
{
	int64_t alice = add_user("alice@example.com", false);
	struct session s, got;
	memset(&s, 0, sizeof s);
	memset(s.hash, 0x61, sizeof s.hash);
	s.user_id = alice;
	s.created_at = 1700000000;
	s.expires_at = 1700028800;
	snprintf(s.ip, sizeof s.ip, "198.51.100.4");
	CHECK_EQ_INT(store_session_insert(st, &s), JT_OK);
	CHECK_EQ_INT(store_session_insert(st, &s), JT_ECONFLICT);
	if (CHECK_EQ_INT(store_session_find(st, s.hash, &got), JT_OK)) {
		CHECK_EQ_MEM(got.hash, s.hash, STORE_HASH_LEN);
		CHECK_EQ_INT(got.user_id, alice);
		CHECK_EQ_INT(got.expires_at, 1700028800);
		CHECK_EQ_STR(got.ip, "198.51.100.4");
	}
	CHECK_EQ_INT(store_session_delete(st, s.hash), JT_OK);
	CHECK_EQ_INT(store_session_find(st, s.hash, &got), JT_ENOTFOUND);
	s.user_id = alice + 1000;
	CHECK_EQ_INT(store_session_insert(st, &s), JT_EINVAL);
}

TEST(session_delete_user_keeps_the_one_named)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct session s[3], got;
	int64_t owners[3] = {alice, alice, bob};
	for (int i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof s[i]);
		memset(s[i].hash, 0x70 + i, sizeof s[i].hash);
		s[i].user_id = owners[i];
		s[i].created_at = 1700000000;
		s[i].expires_at = 1700028800;
		CHECK_EQ_INT(store_session_insert(st, &s[i]), JT_OK);
	}
	/* A password change: every other session of alice ends, hers stays. */
	CHECK_EQ_INT(store_session_delete_user(st, alice, s[1].hash), JT_OK);
	CHECK_EQ_INT(store_session_find(st, s[0].hash, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_session_find(st, s[1].hash, &got), JT_OK);
	CHECK_EQ_INT(store_session_find(st, s[2].hash, &got), JT_OK);
	/* NULL: every one of the user's. */
	CHECK_EQ_INT(store_session_delete_user(st, alice, NULL), JT_OK);
	CHECK_EQ_INT(store_session_find(st, s[1].hash, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_session_find(st, s[2].hash, &got), JT_OK);
}

TEST(session_list_touch_and_delete_own)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct session s[3], got, *items = NULL;
	size_t n = 0;
	int64_t owners[3] = {alice, alice, bob};
	for (int i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof s[i]);
		memset(s[i].hash, 0x40 + i, sizeof s[i].hash);
		s[i].user_id = owners[i];
		s[i].created_at = s[i].last_seen_at = 1700000000 + i;
		s[i].expires_at = 1700028800;
		snprintf(s[i].user_agent, sizeof s[i].user_agent, "Agent/%d", i);
		CHECK_EQ_INT(store_session_insert(st, &s[i]), JT_OK);
	}
	/* Newest first, only alice's, with what the Account page shows. */
	if (CHECK_EQ_INT(store_session_list_user(st, alice, &items, &n), JT_OK) &&
	    CHECK_EQ_INT((int64_t)n, 2)) {
		CHECK_EQ_MEM(items[0].hash, s[1].hash, STORE_HASH_LEN);
		CHECK_EQ_STR(items[0].user_agent, "Agent/1");
		CHECK_EQ_INT(items[0].last_seen_at, 1700000001);
		CHECK_EQ_MEM(items[1].hash, s[0].hash, STORE_HASH_LEN);
	}
	store_list_free(items);
	/* A use is written asynchronously; the writer's next commit holds it. */
	CHECK_EQ_INT(store_session_touch(st, s[0].hash, 1700000600, 1700007800), JT_OK);
	/* Alice cannot end bob's session. */
	CHECK_EQ_INT(store_session_delete_own(st, alice, s[2].hash), JT_ENOTFOUND);
	CHECK_EQ_INT(store_session_find(st, s[2].hash, &got), JT_OK);
	if (CHECK_EQ_INT(store_session_find(st, s[0].hash, &got), JT_OK)) {
		CHECK_EQ_INT(got.last_seen_at, 1700000600);
		CHECK_EQ_INT(got.expires_at, 1700007800);
	}
	CHECK_EQ_INT(store_session_delete_own(st, alice, s[0].hash), JT_OK);
	CHECK_EQ_INT(store_session_find(st, s[0].hash, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_session_find(st, s[1].hash, &got), JT_OK);
}

TEST(user_password_must_change_and_revoke_tokens)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct user u;
	struct pat p;
	struct oauth_token t[2] = {make_token("access", 0, alice, 0, 0, 0x31),
				   make_token("access", 0, bob, 0, 0, 0x32)},
			   got;
	int64_t revoked = -1;
	if (!CHECK_EQ_INT(store_user_get(st, alice, &u), JT_OK))
		return;
	CHECK(!u.password_must_change);
	u.password_must_change = true;
	CHECK_EQ_INT(store_user_update(st, &u), JT_OK);
	if (CHECK_EQ_INT(store_user_get(st, alice, &u), JT_OK))
		CHECK(u.password_must_change);
	int64_t mine = add_pat(alice, 0x61, "mine");
	int64_t gone = add_pat(alice, 0x62, "already revoked");
	int64_t theirs = add_pat(bob, 0x63, "theirs");
	CHECK_EQ_INT(store_pat_revoke(st, alice, gone, 1700000100, &p), JT_OK);
	CHECK_EQ_INT(store_oauth_insert(st, t, 2), JT_OK);
	CHECK_EQ_INT(store_user_revoke_tokens(st, alice, 1700000200, "password_reset", &revoked),
		     JT_OK);
	CHECK_EQ_INT(revoked, 2); /* her live PAT and her OAuth token */
	if (CHECK_EQ_INT(store_pat_get(st, alice, mine, &p), JT_OK)) {
		CHECK_EQ_INT(p.revoked_at, 1700000200);
		CHECK_EQ_STR(p.revoked_reason, "password_reset");
	}
	if (CHECK_EQ_INT(store_pat_get(st, alice, gone, &p), JT_OK))
		CHECK_EQ_INT(p.revoked_at, 1700000100);
	if (CHECK_EQ_INT(store_pat_get(st, bob, theirs, &p), JT_OK))
		CHECK_EQ_INT(p.revoked_at, 0);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[0].hash, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 1700000200);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(st, t[1].hash, &got), JT_OK))
		CHECK_EQ_INT(got.revoked_at, 0);
}

TEST(totp_enrol_use_once_and_recovery_codes)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t bob = add_user("bob@example.com", false);
	struct totp t, got;
	uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN];
	memset(&t, 0, sizeof t);
	t.user_id = alice;
	t.sealed_len = 60;
	memset(t.sealed, 0x5e, t.sealed_len);
	t.created_at = 1700000000;
	for (int i = 0; i < STORE_RECOVERY_CODES; i++)
		memset(hashes[i], 0x20 + i, STORE_HASH_LEN);
	CHECK_EQ_INT(store_totp_get(st, alice, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_totp_use_step(st, alice, 5), JT_ECONFLICT); /* none enabled */
	CHECK_EQ_INT(store_totp_put(st, &t), JT_OK);
	t.sealed[0] = 0x11; /* a second enrolment replaces an unconfirmed one */
	CHECK_EQ_INT(store_totp_put(st, &t), JT_OK);
	if (CHECK_EQ_INT(store_totp_get(st, alice, &got), JT_OK)) {
		CHECK(!got.enabled);
		CHECK_EQ_INT((int64_t)got.sealed_len, 60);
		CHECK_EQ_MEM(got.sealed, t.sealed, 60);
	}
	CHECK_EQ_INT(store_totp_enable(st, alice, 100, (const uint8_t(*)[STORE_HASH_LEN])hashes),
		     JT_OK);
	CHECK_EQ_INT(store_totp_enable(st, alice, 100, (const uint8_t(*)[STORE_HASH_LEN])hashes),
		     JT_ECONFLICT);
	CHECK_EQ_INT(store_totp_put(st, &t), JT_ECONFLICT); /* enabled: kept */
	if (CHECK_EQ_INT(store_totp_get(st, alice, &got), JT_OK)) {
		CHECK(got.enabled);
		CHECK_EQ_INT(got.last_step, 100);
	}
	/* Each step once, only forward. */
	CHECK_EQ_INT(store_totp_use_step(st, alice, 100), JT_ECONFLICT);
	CHECK_EQ_INT(store_totp_use_step(st, alice, 101), JT_OK);
	CHECK_EQ_INT(store_totp_use_step(st, alice, 101), JT_ECONFLICT);
	CHECK_EQ_INT(store_totp_use_step(st, alice, 99), JT_ECONFLICT);
	/* A recovery code once, and only its owner's. */
	CHECK_EQ_INT(store_recovery_use(st, bob, hashes[2], 1700000100), JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_use(st, alice, hashes[2], 1700000100), JT_OK);
	CHECK_EQ_INT(store_recovery_use(st, alice, hashes[2], 1700000200), JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_use(st, alice, hashes[3], 1700000200), JT_OK);
	int64_t unused = -1;
	CHECK_EQ_INT(store_recovery_unused(st, alice, &unused), JT_OK);
	CHECK_EQ_INT(unused, STORE_RECOVERY_CODES - 2);
	CHECK_EQ_INT(store_recovery_unused(st, bob, &unused), JT_OK);
	CHECK_EQ_INT(unused, 0);
	/* A new set: every old code stops working, used or not. */
	uint8_t fresh[STORE_RECOVERY_CODES][STORE_HASH_LEN];
	for (int i = 0; i < STORE_RECOVERY_CODES; i++)
		memset(fresh[i], 0x60 + i, STORE_HASH_LEN);
	CHECK_EQ_INT(store_recovery_replace(st, alice, (const uint8_t(*)[STORE_HASH_LEN])fresh),
		     JT_OK);
	CHECK_EQ_INT(store_recovery_unused(st, alice, &unused), JT_OK);
	CHECK_EQ_INT(unused, STORE_RECOVERY_CODES);
	CHECK_EQ_INT(store_recovery_use(st, alice, hashes[5], 1700000250), JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_use(st, alice, fresh[5], 1700000250), JT_OK);
	/* None for a user without an authenticator on. */
	CHECK_EQ_INT(store_recovery_replace(st, bob, (const uint8_t(*)[STORE_HASH_LEN])hashes),
		     JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_use(st, bob, hashes[6], 1700000260), JT_ENOTFOUND);
	/* Removed with its codes; for an admin's reset, with the sessions too
	 * (a user turning it off keeps theirs). */
	struct session sess;
	memset(&sess, 0, sizeof sess);
	memset(sess.hash, 0x71, sizeof sess.hash);
	sess.user_id = alice;
	sess.created_at = 1700000000;
	sess.expires_at = 1800000000;
	CHECK_EQ_INT(store_session_insert(st, &sess), JT_OK);
	CHECK_EQ_INT(store_totp_delete(st, bob, false), JT_OK); /* none: nothing to remove */
	CHECK_EQ_INT(store_totp_delete(st, alice, true), JT_OK);
	CHECK_EQ_INT(store_session_find(st, sess.hash, &(struct session){0}), JT_ENOTFOUND);
	CHECK_EQ_INT(store_totp_get(st, alice, &got), JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_use(st, alice, fresh[4], 1700000300), JT_ENOTFOUND);
	CHECK_EQ_INT(store_recovery_replace(st, alice, (const uint8_t(*)[STORE_HASH_LEN])fresh),
		     JT_ENOTFOUND);
}

static void add_event(int64_t at, const char *actor, const char *action, bool success)
{
	struct audit_event e;
	memset(&e, 0, sizeof e);
	e.at = at;
	e.actor_id = 7;
	snprintf(e.actor, sizeof e.actor, "%s", actor);
	snprintf(e.action, sizeof e.action, "%s", action);
	snprintf(e.target, sizeof e.target, "token 12 (ci)");
	snprintf(e.ip, sizeof e.ip, "192.0.2.1");
	e.success = success;
	CHECK_EQ_INT(store_audit_insert(st, &e), JT_OK);
}

/* Lists with filter f, limit 10; returns how many, items in out. */
static size_t audit_count(const struct audit_filter *f, struct audit_event **out)
{
	struct store_page page = {.before = 0, .limit = 10};
	size_t n = 0;
	*out = NULL;
	for (int i = 0; i < 500; i++) { /* inserts may be asynchronous */
		store_list_free(*out);
		*out = NULL;
		if (store_audit_list(st, f, &page, out, &n) != JT_OK)
			return (size_t)-1;
		if (n >= 4 || f->actor[0] || f->action[0] || f->since || f->until)
			break;
		usleep(10 * 1000);
	}
	return n;
}

TEST(audit_list_filters)
{
	add_event(1000, "alice@example.com", "token.created", true);
	add_event(2000, "bob@example.com", "token.revoked", true);
	add_event(3000, "alice@example.com", "login.failed", false);
	add_event(4000, "cli", "tokens.purged", true);
	struct audit_filter f;
	struct audit_event *items = NULL;

	memset(&f, 0, sizeof f);
	if (CHECK_EQ_INT(audit_count(&f, &items), 4)) {
		CHECK_EQ_STR(items[0].actor, "cli"); /* newest first */
		CHECK_EQ_INT(items[0].at, 4000);
		CHECK_EQ_INT(items[0].actor_id, 7);
		CHECK_EQ_STR(items[0].target, "token 12 (ci)");
		CHECK_EQ_STR(items[0].ip, "192.0.2.1");
		CHECK(items[0].success);
		CHECK(!items[1].success);
	}
	store_list_free(items);
	snprintf(f.actor, sizeof f.actor, "alice@example.com");
	CHECK_EQ_INT(audit_count(&f, &items), 2);
	store_list_free(items);
	memset(&f, 0, sizeof f);
	snprintf(f.action, sizeof f.action, "token"); /* a prefix up to a dot */
	CHECK_EQ_INT(audit_count(&f, &items), 2);
	store_list_free(items);
	snprintf(f.action, sizeof f.action, "token.revoked");
	CHECK_EQ_INT(audit_count(&f, &items), 1);
	store_list_free(items);
	snprintf(f.action, sizeof f.action, "tok");
	CHECK_EQ_INT(audit_count(&f, &items), 0);
	store_list_free(items);
	memset(&f, 0, sizeof f);
	f.since = 2000;
	f.until = 4000;
	CHECK_EQ_INT(audit_count(&f, &items), 2);
	store_list_free(items);
}

TEST(signing_keys_round_trip_and_retire)
{
	struct signing_key *k = calloc(2, sizeof *k);
	struct signing_key *items = NULL;
	size_t n = 0;
	if (!CHECK(k != NULL))
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(k[i].kid, sizeof k[i].kid, "kid%d", i);
		snprintf(k[i].alg, sizeof k[i].alg, "EdDSA");
		k[i].sealed_len = 100 + (size_t)i;
		for (size_t b = 0; b < k[i].sealed_len; b++)
			k[i].sealed[b] = (uint8_t)(b * 7 + (size_t)i);
		snprintf(k[i].public_jwk, sizeof k[i].public_jwk,
			 "{\"kty\":\"OKP\",\"kid\":\"kid%d\"}", i);
		k[i].created_at = 1000 + i;
		CHECK_EQ_INT(store_key_insert(st, &k[i]), JT_OK);
	}
	CHECK_EQ_INT(store_key_insert(st, &k[0]), JT_ECONFLICT);
	if (CHECK_EQ_INT(store_key_list(st, 5000, &items, &n), JT_OK) && CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_STR(items[0].kid, "kid1"); /* newest first */
		CHECK_EQ_INT(items[0].sealed_len, 101);
		CHECK_EQ_MEM(items[0].sealed, k[1].sealed, 101);
		CHECK_EQ_STR(items[0].public_jwk, k[1].public_jwk);
		CHECK_EQ_INT(items[0].retired_at, 0);
	}
	store_list_free(items);
	CHECK_EQ_INT(store_key_retire_others(st, "kid1", 6000, 7000), JT_OK);
	if (CHECK_EQ_INT(store_key_list(st, 6500, &items, &n), JT_OK) && CHECK_EQ_INT(n, 2)) {
		CHECK_EQ_INT(items[1].retired_at, 6000);
		CHECK_EQ_INT(items[1].unpublish_at, 7000);
	}
	store_list_free(items);
	if (CHECK_EQ_INT(store_key_list(st, 7000, &items, &n), JT_OK) && CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(items[0].kid, "kid1");
	store_list_free(items);
	free(k);
}

/* ---- login throttling's counters ---- */

static void throttle_key(uint8_t key[STORE_HASH_LEN], uint8_t seed)
{
	memset(key, seed, STORE_HASH_LEN);
}

/* An update that copies what it reads into *arg and keeps it as it is. */
static bool read_counts(void *arg, struct throttle_count *counts, size_t n)
{
	memcpy(arg, counts, n * sizeof *counts);
	return false;
}

static bool read_counter(const uint8_t key[STORE_HASH_LEN], struct throttle_count *out)
{
	return CHECK_EQ_INT(store_throttle_update(st, (const uint8_t(*)[STORE_HASH_LEN])key, 1,
						  read_counts, out),
			    JT_OK);
}

/* An update that sets every counter to *arg, as it is. */
static bool set_counts(void *arg, struct throttle_count *counts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		counts[i] = *(const struct throttle_count *)arg;
	return true;
}

TEST(throttle_counters_round_trip)
{
	uint8_t keys[2][STORE_HASH_LEN];
	struct throttle_count seen[2], c;
	throttle_key(keys[0], 0x11);
	throttle_key(keys[1], 0x22);
	/* Never written: zeros, and reading writes nothing. */
	memset(seen, 0x7f, sizeof seen);
	CHECK_EQ_INT(store_throttle_update(st, keys, 2, read_counts, seen), JT_OK);
	CHECK_EQ_INT(seen[0].failures, 0);
	CHECK_EQ_INT(seen[1].until_ms, 0);
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM throttle", NULL), 0);
	struct throttle_count want = {.failures = 3,
				      .passes = 1,
				      .start_ms = 1800000000000,
				      .last_ms = 1800000001000,
				      .reported_ms = 1800000002000,
				      .until_ms = 1800000902000};
	CHECK_EQ_INT(store_throttle_update(st, keys, 2, set_counts, &want), JT_OK);
	if (read_counter(keys[1], &c)) {
		CHECK_EQ_INT(c.failures, 3);
		CHECK_EQ_INT(c.passes, 1);
		CHECK_EQ_INT(c.start_ms, 1800000000000);
		CHECK_EQ_INT(c.last_ms, 1800000001000);
		CHECK_EQ_INT(c.reported_ms, 1800000002000);
		CHECK_EQ_INT(c.until_ms, 1800000902000);
	}
	/* The key is all that names a counter: what it counts is not stored. */
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM throttle", NULL), 2);
	CHECK_EQ_INT(store_throttle_update(st, keys, 0, read_counts, seen), JT_EINVAL);
}

/* Several threads on two stores of one database (two nodes) count on the
 * same counters, naming them in opposite orders: every count is kept, and
 * no update waits for another in a cycle. */
#define COUNTING_THREADS 4
#define COUNTS_EACH      40

struct counting {
	struct store *store;
	bool reversed;
	int failed;
};

static bool add_one(void *arg, struct throttle_count *counts, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		counts[i].failures++;
	return true;
}

static void *count_on(void *arg)
{
	struct counting *w = arg;
	uint8_t keys[3][STORE_HASH_LEN];
	for (int i = 0; i < 3; i++)
		throttle_key(keys[w->reversed ? 2 - i : i], (uint8_t)(0x31 + i));
	for (int i = 0; i < COUNTS_EACH; i++)
		w->failed += store_throttle_update(w->store, keys, 3, add_one, NULL) != JT_OK;
	return NULL;
}

TEST(throttle_counts_from_two_nodes_add_up)
{
	struct store *node = NULL;
	struct counting w[COUNTING_THREADS];
	pthread_t threads[COUNTING_THREADS];
	struct throttle_count c;
	uint8_t key[STORE_HASH_LEN];
	if (!CHECK_EQ_INT(store_open(be.location, 2, &node), JT_OK))
		return;
	for (int i = 0; i < COUNTING_THREADS; i++) {
		w[i] = (struct counting){.store = i % 2 ? node : st, .reversed = i / 2 == 1};
		CHECK_EQ_INT(pthread_create(&threads[i], NULL, count_on, &w[i]), 0);
	}
	for (int i = 0; i < COUNTING_THREADS; i++) {
		pthread_join(threads[i], NULL);
		CHECK_EQ_INT(w[i].failed, 0);
	}
	for (int i = 0; i < 3; i++) {
		throttle_key(key, (uint8_t)(0x31 + i));
		if (read_counter(key, &c))
			CHECK_EQ_INT(c.failures, COUNTING_THREADS * COUNTS_EACH);
	}
	store_close(node);
}

TEST(throttle_counters_past_their_window_are_purged)
{
	uint8_t key[STORE_HASH_LEN];
	struct throttle_count c = {.failures = 1};
	int64_t n = -1;
	for (int i = 0; i < 3; i++) {
		throttle_key(key, (uint8_t)(0x41 + i));
		c.until_ms = 1000 * (i + 1);
		CHECK_EQ_INT(store_throttle_update(st, (const uint8_t(*)[STORE_HASH_LEN])key, 1,
						   set_counts, &c),
			     JT_OK);
	}
	CHECK_EQ_INT(store_throttle_dead(st, 2000, &n), JT_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_throttle_purge(st, 2000, 1, &n), JT_OK); /* a batch at a time */
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(store_throttle_purge(st, 2000, 100, &n), JT_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(store_throttle_dead(st, 2000, &n), JT_OK);
	CHECK_EQ_INT(n, 0);
	if (read_counter(key, &c)) /* the last one's window is not over */
		CHECK_EQ_INT(c.until_ms, 3000);
	CHECK_EQ_INT(store_throttle_purge(st, 2000, 0, &n), JT_EINVAL);
}

/* ---- telling other nodes ---- */

/* What a listener heard: the kinds since the last look, and how often. */
struct heard {
	atomic_uint kinds;
	atomic_int calls;
};

static void hear(void *arg, unsigned kinds)
{
	struct heard *h = arg;
	atomic_fetch_or(&h->kinds, kinds);
	atomic_fetch_add(&h->calls, 1);
}

/* Waits up to ms for h to have heard every kind of want; what it heard
 * (and forgets it). */
static unsigned heard_within(struct heard *h, unsigned want, int ms)
{
	for (int waited = 0; (atomic_load(&h->kinds) & want) != want && waited < ms; waited += 10)
		usleep(10000);
	return atomic_exchange(&h->kinds, 0);
}

static bool terminate_listeners(void)
{
	return sql_run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
		       "WHERE application_name = 'jeton-listen' AND datname = current_database()");
}

/* A second store on the same database stands for another node. It hears
 * what this one commits, of the right kind, and nothing of a write rolled
 * back. SQLite has one node: nothing to hear. */
TEST(changes_are_told_to_every_node)
{
	struct heard h = {0};
	struct store *node = NULL;
	struct store_listener *l = NULL;
	struct signing_key *k = calloc(1, sizeof *k);
	struct pat p;
	if (!CHECK(k != NULL) || !CHECK_EQ_INT(store_open(be.location, 2, &node), JT_OK))
		goto out;
	CHECK_EQ_INT(store_listen(node, hear, &h, &l), JT_OK);
	if (!be.postgres) {
		CHECK(l == NULL);
		goto out;
	}
	/* Listening: everything, since what came before went unheard. */
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ALL, 5000), STORE_CHANGED_ALL);
	int64_t alice = add_user("alice@example.com", false);
	int64_t docs = add_space("docs");
	int64_t id = add_pat(alice, 0x61, "ci");
	CHECK_EQ_INT(store_member_put(st, docs, alice, "no-such-role"), JT_EINVAL);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ALL, 300), 0);
	CHECK_EQ_INT(store_pat_revoke(st, 0, id, 1700000100, &p), JT_OK);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ACCESS, 2000), STORE_CHANGED_ACCESS);
	CHECK_EQ_INT(store_member_put(st, docs, alice, "viewer"), JT_OK);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ACCESS, 2000), STORE_CHANGED_ACCESS);
	snprintf(k->kid, sizeof k->kid, "kid0");
	snprintf(k->alg, sizeof k->alg, "EdDSA");
	k->sealed_len = 1;
	snprintf(k->public_jwk, sizeof k->public_jwk, "{}");
	CHECK_EQ_INT(store_key_insert(st, k), JT_OK);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_KEYS, 2000), STORE_CHANGED_KEYS);
	store_listener_stop(l);
	l = NULL;
	int calls = atomic_load(&h.calls);
	CHECK_EQ_INT(store_pat_revoke(st, 0, id, 1700000200, &p), JT_OK);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ALL, 200), 0); /* stopped: silent */
	CHECK_EQ_INT(atomic_load(&h.calls), calls);
out:
	store_listener_stop(l);
	store_close(node);
	free(k);
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

/* The asynchronous verbs return once their write is queued; closing the
 * store finishes every queued write first. */
TEST(queued_writes_are_finished_by_close)
{
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x72, "ci");
	struct audit_event e;
	memset(&e, 0, sizeof e);
	e.at = 1234;
	snprintf(e.actor, sizeof e.actor, "alice@example.com");
	snprintf(e.action, sizeof e.action, "token.used");
	e.success = true;
	CHECK_EQ_INT(store_pat_touch(st, id, 5000, "192.0.2.9"), JT_OK);
	CHECK_EQ_INT(store_audit_insert(st, &e), JT_OK);
	if (!reopen())
		return;
	struct pat p;
	if (CHECK_EQ_INT(store_pat_get(st, alice, id, &p), JT_OK)) {
		CHECK_EQ_INT(p.last_used_at, 5000);
		CHECK_EQ_STR(p.last_used_ip, "192.0.2.9");
	}
	struct audit_filter f;
	struct store_page page = {.before = 0, .limit = 10};
	struct audit_event *items = NULL;
	size_t n = 0;
	memset(&f, 0, sizeof f);
	if (CHECK_EQ_INT(store_audit_list(st, &f, &page, &items, &n), JT_OK) && CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(items[0].action, "token.used");
	store_list_free(items);
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

/* How many places of the store hold needle: SQLite, its files (the
 * database, -wal, -shm); PostgreSQL, the text form of the rows of pats
 * and audit. */
static int places_holding(const char *needle, size_t needle_len)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char text[TOKEN_LEN + 1];
	int found = 0;
	if (be.postgres) {
		snprintf(text, sizeof text, "%.*s", (int)needle_len, needle);
		return (int)(sql_int("SELECT count(*) FROM pats x WHERE strpos(x::text, ?1) > 0",
				     text) +
			     sql_int("SELECT count(*) FROM audit x WHERE strpos(x::text, ?1) > 0",
				     text));
	}
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char path[600];
		size_t len;
		snprintf(path, sizeof path, "%s%s", be.location, suffixes[i]);
		unsigned char *buf = slurp(path, &len);
		if (buf && memmem(buf, len, needle, needle_len))
			found++;
		free(buf);
	}
	return found;
}

TEST(token_plaintext_never_reaches_the_store)
{
	int64_t alice = add_user("alice@example.com", false);
	char token[TOKEN_LEN + 1];
	struct pat p;
	if (!CHECK_EQ_INT(pat_create(st, alice, "ci", SCOPE_READ_CONTENT, 0, token, &p), JT_OK))
		return;
	CHECK_EQ_INT(strlen(token), TOKEN_LEN);
	uint8_t hash[HASH_SHA256_LEN];
	hash_sha256(token, TOKEN_LEN, hash);
	CHECK_EQ_MEM(p.token_hash, hash, STORE_HASH_LEN);

	/* Control: the search does see the row. */
	CHECK(places_holding(be.postgres ? "ci" : (const char *)hash,
			     be.postgres ? 2 : sizeof hash) >= 1);
	CHECK_EQ_INT(places_holding(token, TOKEN_LEN), 0);
	/* Nor the secret part alone, nor most of it. */
	CHECK_EQ_INT(places_holding(token + TOKEN_TYPE_CHARS, TOKEN_RANDOM_CHARS), 0);
	CHECK_EQ_INT(places_holding(token + TOKEN_DISPLAY_CHARS, 16), 0);

	/* Still true once the store is closed (SQLite: its WAL folded in). */
	store_close(st);
	st = NULL;
	CHECK_EQ_INT(places_holding(token, TOKEN_LEN), 0);
	CHECK_EQ_INT(places_holding(token + TOKEN_TYPE_CHARS, TOKEN_RANDOM_CHARS), 0);
}

TEST(granted_pat_is_found_by_the_hash_of_its_token)
{
	int64_t alice = add_user("alice@example.com", false);
	char token[TOKEN_LEN + 1];
	struct pat p, got;
	if (!CHECK_EQ_INT(pat_create(st, alice, "deploy", SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT,
				     1900000000, token, &p),
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

/* ---- store copy ---- */

/* Every kind of record goes to an SQLite store, then from there to a
 * second store of the driver under test, ids kept. */
TEST(copy_to_sqlite_and_back_keeps_everything)
{
	struct tmpdir d;
	char path[128], second[600];
	struct store *lite = NULL, *back = NULL;
	struct pat p;
	struct user u;
	struct app a;
	struct oauth_token t;
	struct session se;
	struct signing_key *keys = NULL;
	size_t n = 0;

	int64_t alice = add_user("alice@example.com", true);
	int64_t bob = add_user("bob@example.com", false);
	int64_t docs = add_space("docs");
	CHECK_EQ_INT(store_member_put(st, docs, bob, "editor"), JT_OK);
	int64_t pat_id = add_pat(bob, 0x91, "ci");
	int64_t app_id = add_app("cid_copy", true);
	uint8_t secret[STORE_HASH_LEN];
	memset(secret, 0x66, sizeof secret);
	CHECK_EQ_INT(store_app_set_secret(st, app_id, secret, 1700000500), JT_OK);
	struct auth_code code = make_code(app_id, bob, docs, 0x92, 31);
	CHECK_EQ_INT(store_code_insert(st, &code), JT_OK);
	struct oauth_token tok = make_token("refresh", app_id, bob, docs, 31, 0x93);
	CHECK_EQ_INT(store_oauth_insert(st, &tok, 1), JT_OK);
	struct oauth_token own = make_token("access", 0, alice, 0, 0, 0x96); /* no app */
	/* A JWT, with its jti. */
	snprintf(own.jti, sizeof own.jti, "0123456789abcdefABCDEF");
	CHECK_EQ_INT(store_oauth_insert(st, &own, 1), JT_OK);
	/* The refresh token rotated: its successor within the grace window. */
	struct oauth_token after = make_token("refresh", app_id, bob, docs, 31, 0x97);
	struct refresh_successor succ = {
		.token_id = tok.id, .sealed_len = 4, .expires_at = 1700000030};
	memcpy(succ.sealed, "\x01\x02\x00\x03", 4);
	CHECK_EQ_INT(store_oauth_refresh(st, tok.id, false, 1700000010, &after, 1, &succ), JT_OK);
	/* A device's sign-in, pending. */
	struct device_auth dev;
	memset(&dev, 0, sizeof dev);
	memset(dev.device_hash, 0x98, sizeof dev.device_hash);
	memset(dev.user_code_hash, 0x99, sizeof dev.user_code_hash);
	dev.app_id = app_id;
	snprintf(dev.scopes, sizeof dev.scopes, "read_content");
	dev.family_id = 32;
	dev.created_at = 1700000000;
	dev.expires_at = 1700000600;
	dev.poll_interval = 5;
	CHECK_EQ_INT(store_device_insert(st, &dev), JT_OK);
	/* The instance's policy, whose row the migrations make. */
	struct policy pol = {.pat_max_lifetime = 30 * 86400,
			     .pat_require_expiry = true,
			     .updated_at = 1700000020};
	snprintf(pol.require_2fa, sizeof pol.require_2fa, "admins");
	CHECK_EQ_INT(store_policy_put(st, &pol), JT_OK);
	memset(&se, 0, sizeof se);
	memset(se.hash, 0x94, sizeof se.hash);
	se.user_id = alice;
	se.expires_at = 1700028800;
	CHECK_EQ_INT(store_session_insert(st, &se), JT_OK);
	struct audit_event e;
	memset(&e, 0, sizeof e);
	e.at = 1000;
	snprintf(e.actor, sizeof e.actor, "alice@example.com");
	snprintf(e.action, sizeof e.action, "token.created");
	CHECK_EQ_INT(store_audit_insert(st, &e), JT_OK); /* failure, as success is false */
	struct signing_key *k = calloc(1, sizeof *k);
	if (!CHECK(k != NULL))
		return;
	snprintf(k->kid, sizeof k->kid, "k1");
	snprintf(k->alg, sizeof k->alg, "EdDSA");
	k->sealed_len = 3;
	memcpy(k->sealed, "\x00\x01\xff", 3);
	snprintf(k->public_jwk, sizeof k->public_jwk, "{}");
	CHECK_EQ_INT(store_key_insert(st, k), JT_OK);
	free(k);
	if (!reopen()) /* the audit event is in */
		return;

	if (!CHECK(tmpdir_make(&d)))
		return;
	tmpdir_file(&d, "copy.db", path, sizeof path);
	if (!CHECK_EQ_INT(store_open(path, 1, &lite), JT_OK) ||
	    !CHECK_EQ_INT(store_migrate(lite), JT_OK))
		goto out;
	/* To SQLite. */
	if (!CHECK_EQ_INT(store_copy(st, lite, NULL), JT_OK))
		goto out;
	struct pat want = make_pat(bob, 0x91, "ci");
	if (CHECK_EQ_INT(store_pat_find_by_hash(lite, want.token_hash, &p), JT_OK)) {
		CHECK_EQ_INT(p.id, pat_id);
		CHECK_EQ_STR(p.display_prefix, "jtp_0091");
		CHECK_EQ_INT(p.expires_at, 0);
	}
	if (CHECK_EQ_INT(store_app_find_by_client_id(lite, "cid_copy", &a), JT_OK)) {
		CHECK_EQ_INT(a.id, app_id);
		CHECK(a.has_secret);
		CHECK_EQ_MEM(a.secret_hash, secret, STORE_HASH_LEN);
	}
	CHECK_EQ_INT(store_copy(st, lite, NULL), JT_ECONFLICT); /* not empty */

	/* And back, into a second store of the driver under test. */
	if (!CHECK_EQ_INT(store_open(second_location(second, sizeof second), 1, &back), JT_OK) ||
	    !CHECK_EQ_INT(store_migrate(back), JT_OK))
		goto out;
	if (!CHECK_EQ_INT(store_copy(lite, back, NULL), JT_OK))
		goto out;
	if (CHECK_EQ_INT(store_user_find_by_email(back, "BOB@example.com", &u), JT_OK))
		CHECK_EQ_INT(u.id, bob);
	if (CHECK_EQ_INT(store_oauth_find_by_hash(back, tok.hash, &t), JT_OK)) {
		CHECK_EQ_INT(t.id, tok.id);
		CHECK_EQ_INT(t.family_id, 31);
		CHECK_EQ_INT(t.revoked_at, 0);
		CHECK_EQ_INT(t.rotated_at, 1700000010);
		CHECK_EQ_STR(t.jti, "");
	}
	if (CHECK_EQ_INT(store_oauth_find_by_hash(back, own.hash, &t), JT_OK)) {
		CHECK_EQ_INT(t.app_id, 0);
		CHECK_EQ_STR(t.jti, "0123456789abcdefABCDEF");
	}
	if (CHECK_EQ_INT(store_oauth_find_by_jti(back, "0123456789abcdefABCDEF", &t), JT_OK))
		CHECK_EQ_INT(t.id, own.id);
	struct refresh_successor got_succ;
	if (CHECK_EQ_INT(store_refresh_successor_get(back, tok.id, 1700000020, &got_succ), JT_OK)) {
		CHECK_EQ_INT(got_succ.sealed_len, 4);
		CHECK_EQ_MEM(got_succ.sealed, "\x01\x02\x00\x03", 4);
	}
	struct device_auth got_dev;
	if (CHECK_EQ_INT(store_device_by_device_code(back, dev.device_hash, &got_dev), JT_OK)) {
		CHECK_EQ_INT(got_dev.family_id, 32);
		CHECK_EQ_INT(got_dev.poll_interval, 5);
	}
	struct policy got_pol;
	if (CHECK_EQ_INT(store_policy_get(back, &got_pol), JT_OK)) {
		CHECK_EQ_INT(got_pol.pat_max_lifetime, 30 * 86400);
		CHECK(got_pol.pat_require_expiry);
		CHECK_EQ_STR(got_pol.require_2fa, "admins");
		CHECK_EQ_INT(got_pol.updated_at, 1700000020);
	}
	struct auth_code out;
	if (CHECK_EQ_INT(store_code_get(back, code.hash, &out), JT_OK)) {
		CHECK_EQ_INT(out.family_id, 31);
		CHECK_EQ_INT(out.used_at, 0);
	}
	struct session got_se;
	CHECK_EQ_INT(store_session_find(back, se.hash, &got_se), JT_OK);
	if (CHECK_EQ_INT(store_key_list(back, 0, &keys, &n), JT_OK) && CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_INT(keys[0].sealed_len, 3);
		CHECK_EQ_MEM(keys[0].sealed, "\x00\x01\xff", 3);
	}
	store_list_free(keys);
	struct membership *ms = NULL;
	if (CHECK_EQ_INT(store_memberships_of_user(back, bob, &ms, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1))
		CHECK_EQ_STR(ms[0].role, "editor");
	store_list_free(ms);
	struct audit_filter f;
	struct store_page page = {.before = 0, .limit = 10};
	struct audit_event *events = NULL;
	memset(&f, 0, sizeof f);
	if (CHECK_EQ_INT(store_audit_list(back, &f, &page, &events, &n), JT_OK) &&
	    CHECK_EQ_INT(n, 1)) {
		CHECK_EQ_STR(events[0].action, "token.created");
		CHECK(!events[0].success);
	}
	store_list_free(events);
	/* Ids go on after the copied ones. */
	struct user carol;
	memset(&carol, 0, sizeof carol);
	snprintf(carol.email, sizeof carol.email, "carol@example.com");
	if (CHECK_EQ_INT(store_user_insert(back, &carol), JT_OK))
		CHECK(carol.id > bob);
	struct oauth_token next = make_token("access", app_id, bob, docs, 31, 0x95);
	if (CHECK_EQ_INT(store_oauth_insert(back, &next, 1), JT_OK))
		CHECK(next.id > own.id);
	/* The first store is untouched by all this. */
	CHECK_EQ_INT(sql_int("SELECT count(*) FROM users", NULL), 2);
out:
	store_close(back);
	store_close(lite);
	tmpdir_remove(&d);
}

/* Writes to the source between two tables of a copy: a user and a token
 * of theirs, once, after the users are copied. */
static int64_t late_user;
static void write_meanwhile(const char *table, int64_t rows)
{
	(void)rows;
	if (late_user == 0 && strcmp(table, "users") == 0) {
		late_user = add_user("late@example.com", false);
		add_pat(late_user, 0xa1, "late");
	}
}

/* A store written during the copy still copies as it was at one moment:
 * a token made meanwhile does not arrive without its user. */
TEST(copy_reads_one_snapshot)
{
	struct tmpdir d;
	char path[128];
	struct store *lite = NULL;
	struct user u;
	struct pat p;
	add_pat(add_user("early@example.com", false), 0xa0, "early");
	late_user = 0;
	if (!CHECK(tmpdir_make(&d)))
		return;
	tmpdir_file(&d, "copy.db", path, sizeof path);
	if (CHECK_EQ_INT(store_open(path, 1, &lite), JT_OK) &&
	    CHECK_EQ_INT(store_migrate(lite), JT_OK) &&
	    CHECK_EQ_INT(store_copy(st, lite, write_meanwhile), JT_OK)) {
		CHECK(late_user > 0);
		CHECK_EQ_INT(store_user_find_by_email(lite, "early@example.com", &u), JT_OK);
		CHECK_EQ_INT(store_user_find_by_email(lite, "late@example.com", &u), JT_ENOTFOUND);
		struct pat early = make_pat(0, 0xa0, "early"), late = make_pat(0, 0xa1, "late");
		CHECK_EQ_INT(store_pat_find_by_hash(lite, early.token_hash, &p), JT_OK);
		CHECK_EQ_INT(store_pat_find_by_hash(lite, late.token_hash, &p), JT_ENOTFOUND);
	}
	/* ...and the source has both. */
	CHECK_EQ_INT(store_user_find_by_email(st, "late@example.com", &u), JT_OK);
	store_close(lite);
	tmpdir_remove(&d);
}

/* ---- PostgreSQL: bounded waits and reconnection ---- */

TEST(open_refuses_a_bad_location_quickly)
{
	static char sentinel;
	struct store *s = (struct store *)(void *)&sentinel;
	CHECK_EQ_INT(store_open("postgres://[::1", 1, &s), JT_EINVAL);
	CHECK(s == NULL);
	/* Nothing listens on port 1: refused at once, not after a long wait. */
	int64_t t0 = time_mono_ms();
	s = (struct store *)(void *)&sentinel;
	CHECK_EQ_INT(store_open("postgres://jeton@127.0.0.1:1/x", 1, &s), JT_ESTORE);
	CHECK(s == NULL);
	CHECK(time_mono_ms() - t0 < 3000);
}

/* jeton_prepare=off in the location (for pgbouncer in transaction mode):
 * every statement unnamed, in a URI's query or a connection string, where
 * libpq would refuse the parameter; any other value is refused. */
TEST(the_location_may_turn_named_statements_off)
{
	char location[sizeof be.location + 64];
	const char *sep = strchr(be.location, '?') ? "&" : "?";
	struct store *s = NULL;
	snprintf(location, sizeof location, "%s%sjeton_prepare=off", be.location, sep);
	if (CHECK_EQ_INT(store_open(location, 2, &s), JT_OK)) {
		struct user u, got;
		memset(&u, 0, sizeof u);
		snprintf(u.email, sizeof u.email, "unnamed@example.com");
		snprintf(u.friendly_name, sizeof u.friendly_name, "Unnamed");
		CHECK_EQ_INT(store_user_insert(s, &u), JT_OK);
		CHECK_EQ_INT(store_user_get(s, u.id, &got), JT_OK);
		CHECK_EQ_STR(got.email, "unnamed@example.com");
		store_close(s);
	}
	snprintf(location, sizeof location, "%s%sjeton_prepare=off&connect_timeout=5", be.location,
		 sep);
	CHECK_EQ_INT(store_open(location, 1, &s), JT_OK);
	store_close(s);
	s = NULL;
	CHECK_EQ_INT(store_open("host=127.0.0.1 port=1 jeton_prepare=maybe", 1, &s), JT_EINVAL);
	CHECK(s == NULL);
	snprintf(location, sizeof location, "%s%sjeton_prepare=yes", be.location, sep);
	CHECK_EQ_INT(store_open(location, 1, &s), JT_EINVAL);
	CHECK(s == NULL);
}

/* A session holding a lock: the store gives up after lock_timeout, the
 * connection stays usable. */
TEST(a_held_lock_fails_within_the_lock_timeout)
{
	int64_t count = 0;
	CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
	PGconn *other = PQconnectdb(be.pg_url);
	PGresult *r = PQexec(other, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
	CHECK_EQ_INT(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	int64_t t0 = time_mono_ms();
	CHECK_EQ_INT(store_user_count(st, &count), JT_ESTORE);
	int64_t took = time_mono_ms() - t0;
	CHECK(took >= 1500 && took < 3000);
	PQclear(PQexec(other, "ROLLBACK"));
	PQfinish(other);
	CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
}

static bool cluster(const char *verb)
{
	char cmd[512];
	const char *script = getenv("JETON_TEST_PG_CLUSTER");
	snprintf(cmd, sizeof cmd, "%s %s %s", script ? script : "tests/pg/cluster.sh", verb,
		 getenv("JETON_TEST_PG_DIR"));
	return system(cmd) == 0;
}

/* The database stops: calls fail fast instead of hanging, writes through
 * the writer too; it returns: the same store object works again, on its
 * own. */
TEST(outage_fails_fast_and_recovers)
{
	struct user u;
	struct pat p;
	uint8_t hash[STORE_HASH_LEN] = {0};
	int64_t count = 0;
	if (!getenv("JETON_TEST_PG_DIR")) {
		printf("test_store: outage test skipped (JETON_TEST_PG_DIR not set)\n");
		return;
	}
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x81, "ci");
	if (!CHECK(cluster("stop")))
		return;
	for (int i = 0; i < 3; i++) {
		int64_t t0 = time_mono_ms();
		CHECK_EQ_INT(store_user_count(st, &count), JT_ESTORE);
		CHECK(time_mono_ms() - t0 < 3000);
		t0 = time_mono_ms();
		CHECK_EQ_INT(store_pat_find_by_hash(st, hash, &p), JT_ESTORE);
		CHECK_EQ_INT(store_ping(st), JT_ESTORE);
		CHECK(time_mono_ms() - t0 < 3000);
		t0 = time_mono_ms();
		struct pat fresh = make_pat(alice, (uint8_t)(0x83 + i), "down");
		CHECK_EQ_INT(store_pat_insert(st, &fresh), JT_ESTORE);
		CHECK(time_mono_ms() - t0 < 3000);
	}
	if (!CHECK(cluster("restart")))
		return;
	/* Every slot, also those idle during the outage, works at once. */
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_INT(store_ping(st), JT_OK);
		if (CHECK_EQ_INT(store_user_get(st, alice, &u), JT_OK))
			CHECK_EQ_STR(u.email, "alice@example.com");
		if (CHECK_EQ_INT(store_pat_get(st, alice, id, &p), JT_OK))
			CHECK_EQ_STR(p.name, "ci");
	}
	CHECK(add_pat(alice, 0x82, "after") > 0);
}

/* The server ends the store's sessions (as a restart or a pooler would):
 * the next calls reconnect instead of failing, writes included. */
TEST(terminated_sessions_are_replaced)
{
	int64_t count = 0;
	int64_t alice = add_user("alice@example.com", false);
	CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
	CHECK(sql_run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
		      "WHERE application_name = 'jeton' AND pid <> pg_backend_pid()"));
	usleep(100 * 1000);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(store_user_count(st, &count), JT_OK);
	CHECK(add_pat(alice, 0x85, "after") > 0);
}

/* ---- the suite, once per driver ---- */

/* The server ends the listening session (a restart, an administrator):
 * the listener reconnects by itself, says that it may have missed
 * anything, and hears the next change. */
TEST(a_listener_whose_session_ends_reconnects)
{
	struct heard h = {0};
	struct store_listener *l = NULL;
	struct pat p;
	int64_t alice = add_user("alice@example.com", false);
	int64_t id = add_pat(alice, 0x62, "ci");
	if (!CHECK_EQ_INT(store_listen(st, hear, &h, &l), JT_OK))
		return;
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ALL, 5000), STORE_CHANGED_ALL);
	for (int i = 0; i < 2; i++) {
		CHECK(terminate_listeners());
		CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ALL, 5000), STORE_CHANGED_ALL);
	}
	CHECK_EQ_INT(store_pat_revoke(st, 0, id, 1700000100, &p), JT_OK);
	CHECK_EQ_INT(heard_within(&h, STORE_CHANGED_ACCESS, 2000), STORE_CHANGED_ACCESS);
	store_listener_stop(l);
}

static void run_suite(void)
{
	RUN_ALONE(migrate_is_idempotent_and_reaches_the_known_version);
	RUN_ALONE(two_nodes_migrating_at_once_both_succeed);
	RUN_ALONE(a_new_sqlite_store_has_2_KiB_pages_and_an_older_one_keeps_its_own);
	RUN_WITH_STORE(newer_schema_is_refused);
	RUN_ALONE(open_refuses_an_empty_location);
	RUN_WITH_STORE(user_round_trip);
	RUN_WITH_STORE(user_insert_fills_id_and_created_at);
	RUN_WITH_STORE(user_email_is_unique_and_found_in_any_case);
	RUN_WITH_STORE(user_update_writes_the_mutable_fields);
	RUN_WITH_STORE(user_list_pages_newest_first);
	RUN_WITH_STORE(space_names_are_unique);
	RUN_WITH_STORE(space_insert_fills_id_and_created_at);
	RUN_WITH_STORE(memberships_carry_the_role_permissions);
	RUN_WITH_STORE(member_put_refuses_an_unknown_role_or_record);
	RUN_WITH_STORE(space_list_for_a_user);
	RUN_WITH_STORE(pat_round_trip_and_ownership);
	RUN_WITH_STORE(pat_of_an_unknown_user_is_refused);
	RUN_WITH_STORE(pat_without_expiry_reads_back_as_zero);
	RUN_WITH_STORE(pat_hash_collision_conflicts);
	RUN_WITH_STORE(pat_list_pages_newest_first);
	RUN_WITH_STORE(pat_find_by_hash);
	RUN_WITH_STORE(pat_revoke_keeps_the_first_time);
	RUN_WITH_STORE(pat_revoke_by_any_user);
	RUN_WITH_STORE(pat_rotate_revokes_the_old_and_inserts_the_new);
	RUN_WITH_STORE(pat_rotate_refuses_expired_and_foreign_tokens);
	RUN_WITH_STORE(pat_touch_records_the_use);
	RUN_WITH_STORE(app_round_trip_update_and_delete);
	RUN_WITH_STORE(app_delete_takes_its_codes_and_tokens);
	RUN_WITH_STORE(code_is_redeemed_once);
	RUN_WITH_STORE(code_redeem_races_have_one_winner_whose_tokens_die);
	RUN_WITH_STORE(async_verbs_report_through_done);
	RUN_WITH_STORE(a_failed_write_leaves_the_others_of_its_batch);
	RUN_WITH_STORE(a_batch_reports_each_write_and_its_id);
	RUN_WITH_STORE(purge_deletes_exactly_what_can_never_be_used_again);
	RUN_WITH_STORE(oauth_tokens_round_trip_and_revoke);
	RUN_WITH_STORE(oauth_refresh_rotates_once);
	RUN_WITH_STORE(oauth_refresh_races_have_one_winner);
	RUN_WITH_STORE(session_round_trip);
	RUN_WITH_STORE(session_delete_user_keeps_the_one_named);
	RUN_WITH_STORE(session_list_touch_and_delete_own);
	RUN_WITH_STORE(user_password_must_change_and_revoke_tokens);
	RUN_WITH_STORE(totp_enrol_use_once_and_recovery_codes);
	RUN_WITH_STORE(audit_list_filters);
	RUN_WITH_STORE(signing_keys_round_trip_and_retire);
	RUN_WITH_STORE(throttle_counters_round_trip);
	RUN_WITH_STORE(throttle_counts_from_two_nodes_add_up);
	RUN_WITH_STORE(throttle_counters_past_their_window_are_purged);
	RUN_WITH_STORE(changes_are_told_to_every_node);
	RUN_WITH_STORE(records_survive_close_and_reopen);
	RUN_WITH_STORE(queued_writes_are_finished_by_close);
	RUN_WITH_STORE(token_plaintext_never_reaches_the_store);
	RUN_WITH_STORE(granted_pat_is_found_by_the_hash_of_its_token);
	RUN_WITH_STORE(copy_to_sqlite_and_back_keeps_everything);
	RUN_WITH_STORE(copy_reads_one_snapshot);
	if (!be.postgres)
		return;
	RUN_ALONE(open_refuses_a_bad_location_quickly);
	RUN_WITH_STORE(the_location_may_turn_named_statements_off);
	RUN_WITH_STORE(a_held_lock_fails_within_the_lock_timeout);
	RUN_WITH_STORE(terminated_sessions_are_replaced);
	RUN_WITH_STORE(a_listener_whose_session_ends_reconnects);
	RUN_WITH_STORE(outage_fails_fast_and_recovers);
}

int main(void)
{
	const char *pg_url = getenv("JETON_TEST_PG");
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	be.name = "sqlite";
	run_suite();
	if (be.dir_made)
		tmpdir_remove(&be.dir);
	if (pg_url && *pg_url) {
		memset(&be, 0, sizeof be);
		be.name = "postgres";
		be.postgres = true;
		be.pg_url = pg_url;
		snprintf(be.location, sizeof be.location, "%s", pg_url);
		run_suite();
	} else {
		printf("test_store: PostgreSQL skipped (JETON_TEST_PG not set)\n");
	}
	crypto_shutdown();
	return check_summary(__FILE__);
}
