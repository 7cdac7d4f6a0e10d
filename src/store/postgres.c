/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend of store.h, for several jeton nodes sharing one
 * database.
 *
 * A pool of libpq connections, one per calling thread at a time, each with
 * its statements prepared once per session (postgres_util.c). Every call
 * is bounded: the session's statement_timeout and lock_timeout, and a
 * client-side wait after which the connection is reset. Writes run on the
 * caller's thread and are durable when PostgreSQL's commit returns, the
 * asynchronous verbs included. The schema version lives in the table
 * jeton_schema; migrations are embedded at build time and applied under an
 * advisory lock so that nodes starting together do not race. */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* pg_advisory_xact_lock key of migrations: "jeton" in ASCII. */
#define PG_MIGRATE_LOCK 0x6a65746f6eLL

#define USER_COLS "id, email, friendly_name, coalesce(password_hash, ''), admin, disabled, created_at"
#define PAT_COLS "id, user_id, name, token_hash, display_prefix, scopes, created_at, " \
		 "coalesce(expires_at, 0), coalesce(last_used_at, 0), " \
		 "coalesce(last_used_ip, ''), coalesce(revoked_at, 0)"
#define MEMBER_SELECT "SELECT m.space_id, s.name, m.user_id, u.email, m.role, r.permissions " \
		      "FROM memberships m JOIN spaces s ON s.id = m.space_id " \
		      "JOIN users u ON u.id = m.user_id JOIN roles r ON r.name = m.role "

/* As in sqlite.c; $2::bigint where a parameter is compared with a literal
 * first, which would otherwise make it an integer. */
static const char *const stmt_sql[PGS_APP_INSERT] = {
	[PGS_PING] = "SELECT 1",
	[PGS_USER_INSERT] = "INSERT INTO users(email, friendly_name, password_hash, admin, disabled, "
			    "created_at) VALUES ($1, $2, nullif($3, ''), $4, $5, $6) RETURNING id",
	[PGS_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = $1",
	/* users_by_email indexes lower(email): SQLite's COLLATE NOCASE. */
	[PGS_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users WHERE lower(email) = lower($1)",
	[PGS_USER_COUNT] = "SELECT count(*) FROM users",
	[PGS_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE id < $1 ORDER BY id DESC LIMIT $2",
	[PGS_USER_UPDATE] = "UPDATE users SET friendly_name = $2, password_hash = nullif($3, ''), "
			    "admin = $4, disabled = $5 WHERE id = $1",
	[PGS_SPACE_INSERT] = "INSERT INTO spaces(name, created_at) VALUES ($1, $2) RETURNING id",
	[PGS_SPACE_GET] = "SELECT id, name, created_at, '' FROM spaces WHERE id = $1",
	[PGS_SPACE_BY_NAME] = "SELECT id, name, created_at, '' FROM spaces WHERE name = $1",
	[PGS_SPACE_LIST_ALL] = "SELECT s.id, s.name, s.created_at, coalesce(m.role, '') FROM spaces s "
			       "LEFT JOIN memberships m ON m.space_id = s.id AND m.user_id = $1 "
			       "ORDER BY s.id LIMIT 10000",
	[PGS_SPACE_LIST_USER] = "SELECT s.id, s.name, s.created_at, m.role FROM spaces s "
				"JOIN memberships m ON m.space_id = s.id WHERE m.user_id = $1 "
				"ORDER BY s.id LIMIT 10000",
	[PGS_MEMBER_PUT] = "INSERT INTO memberships(space_id, user_id, role) VALUES ($1, $2, $3) "
			   "ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role",
	[PGS_MEMBER_DELETE] = "DELETE FROM memberships WHERE space_id = $1 AND user_id = $2",
	/* SQLite sorts the NOCASE email case-blind, byte by byte. */
	[PGS_MEMBER_LIST] = MEMBER_SELECT "WHERE m.space_id = $1 "
			    "ORDER BY lower(u.email) COLLATE \"C\" LIMIT 10000",
	[PGS_MEMBERSHIPS_OF_USER] = MEMBER_SELECT "WHERE m.user_id = $1 ORDER BY m.space_id LIMIT $2",
	[PGS_PAT_INSERT] = "INSERT INTO pats(user_id, name, token_hash, display_prefix, scopes, "
			   "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, "
			   "nullif($7::bigint, 0)) RETURNING id",
	[PGS_PAT_GET] = "SELECT " PAT_COLS " FROM pats WHERE id = $1 "
			"AND ($2::bigint = 0 OR user_id = $2)",
	/* pat_rotate: a second rotation of the same token waits, then sees it revoked. */
	[PGS_PAT_GET_LOCKED] = "SELECT " PAT_COLS " FROM pats WHERE id = $1 "
			       "AND ($2::bigint = 0 OR user_id = $2) FOR UPDATE",
	[PGS_PAT_LIST] = "SELECT " PAT_COLS " FROM pats WHERE user_id = $1 AND id < $2 "
			 "ORDER BY id DESC LIMIT $3",
	[PGS_PAT_BY_HASH] = "SELECT " PAT_COLS " FROM pats WHERE token_hash = $1",
	[PGS_PAT_REVOKE] = "UPDATE pats SET revoked_at = $3 WHERE id = $1 "
			   "AND ($2::bigint = 0 OR user_id = $2) AND revoked_at IS NULL",
	[PGS_PAT_TOUCH] = "UPDATE pats SET last_used_at = $2, last_used_ip = $3 WHERE id = $1",
};

static const struct store_ops postgres_ops;

static enum jt_status exec_done(struct pg_slot *c, enum pg_stmt_id id, const struct pg_params *p,
				const char *what, int64_t *changes)
{
	return pg_exec_done(c, id, stmt_sql[id], p, what, changes);
}

static enum jt_status exec_row(struct pg_slot *c, enum pg_stmt_id id, const struct pg_params *p,
			       PGresult **res, const char *what)
{
	return pg_exec_row(c, id, stmt_sql[id], p, res, what);
}

static void read_user(const PGresult *r, int row, void *out)
{
	struct user *u = out;
	memset(u, 0, sizeof *u);
	u->id = pg_col_int(r, row, 0);
	pg_col_text(r, row, 1, u->email, sizeof u->email);
	pg_col_text(r, row, 2, u->friendly_name, sizeof u->friendly_name);
	pg_col_text(r, row, 3, u->password_hash, sizeof u->password_hash);
	u->admin = pg_col_bool(r, row, 4);
	u->disabled = pg_col_bool(r, row, 5);
	u->created_at = pg_col_int(r, row, 6);
}

static void read_space(const PGresult *r, int row, void *out)
{
	struct space *sp = out;
	memset(sp, 0, sizeof *sp);
	sp->id = pg_col_int(r, row, 0);
	pg_col_text(r, row, 1, sp->name, sizeof sp->name);
	sp->created_at = pg_col_int(r, row, 2);
	pg_col_text(r, row, 3, sp->role, sizeof sp->role);
}

static void read_membership(const PGresult *r, int row, void *out)
{
	struct membership *m = out;
	memset(m, 0, sizeof *m);
	m->space_id = pg_col_int(r, row, 0);
	pg_col_text(r, row, 1, m->space_name, sizeof m->space_name);
	m->user_id = pg_col_int(r, row, 2);
	pg_col_text(r, row, 3, m->email, sizeof m->email);
	pg_col_text(r, row, 4, m->role, sizeof m->role);
	pg_col_text(r, row, 5, m->permissions, sizeof m->permissions);
}

static void read_pat(const PGresult *r, int row, void *out)
{
	struct pat *p = out;
	memset(p, 0, sizeof *p);
	p->id = pg_col_int(r, row, 0);
	p->user_id = pg_col_int(r, row, 1);
	pg_col_text(r, row, 2, p->name, sizeof p->name);
	pg_col_hash(r, row, 3, p->token_hash);
	pg_col_text(r, row, 4, p->display_prefix, sizeof p->display_prefix);
	pg_col_text(r, row, 5, p->scopes, sizeof p->scopes);
	p->created_at = pg_col_int(r, row, 6);
	p->expires_at = pg_col_int(r, row, 7);
	p->last_used_at = pg_col_int(r, row, 8);
	pg_col_text(r, row, 9, p->last_used_ip, sizeof p->last_used_ip);
	p->revoked_at = pg_col_int(r, row, 10);
}

/* ---- lifecycle ---- */

enum jt_status store_postgres_open(const char *conninfo, int threads, struct store **out)
{
	struct pg_store *pg = jt_calloc(1, sizeof *pg);
	enum jt_status st;

	*out = NULL;
	if (!pg)
		return JT_ENOMEM;
	pg->base.ops = &postgres_ops;
	st = pg_pool_init(pg, conninfo, threads);
	if (st != JT_OK)
		goto fail;
	/* One connection now, so that a wrong location or a database that is
	 * down is reported at start-up rather than on the first request. */
	struct pg_slot *c = pg_acquire(pg);
	st = c->bad ? JT_ESTORE : JT_OK;
	pg_release(pg, c);
	if (st != JT_OK)
		goto fail;
	*out = &pg->base;
	return JT_OK;
fail:
	postgres_ops.close(&pg->base);
	return st;
}

/* Every write ran on its caller's thread and has returned: nothing is
 * queued, so closing is closing the connections. */
static void pg_close(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	pg_pool_free(pg);
	jt_free(pg);
}

static enum jt_status read_version(struct pg_slot *c, int *version)
{
	PGresult *r = NULL;
	*version = 0;
	enum jt_status st = pg_query(c, "SELECT to_regclass('jeton_schema') IS NOT NULL",
				     LIMIT_PG_WAIT_MS, &r, "schema version");
	bool exists = st == JT_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return st; /* a fresh database: version 0 */
	st = pg_query(c, "SELECT coalesce(max(version), 0) FROM jeton_schema", LIMIT_PG_WAIT_MS,
		      &r, "schema version");
	if (st == JT_OK && PQntuples(r) == 1)
		*version = (int)pg_col_int(r, 0, 0);
	PQclear(r);
	return st;
}

static enum jt_status pg_schema_version(struct store *base, int *version, int *known)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	*known = store_postgres_count;
	enum jt_status st = read_version(c, version);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_migrate(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st;
	int version = 0;
	char sql[256];

	/* One migration per transaction; the version row moves with it. The
	 * advisory lock makes a node starting at the same moment wait, then
	 * find nothing left to do. A migration may take longer than a request
	 * may: no statement or lock timeout inside. */
	for (;;) {
		snprintf(sql, sizeof sql,
			 "BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; "
			 "SELECT pg_advisory_xact_lock(%lld); "
			 "CREATE TABLE IF NOT EXISTS jeton_schema (version integer NOT NULL)",
			 PG_MIGRATE_LOCK);
		st = pg_query(c, sql, LIMIT_PG_MIGRATE_MS, NULL, "migration lock");
		if (st == JT_OK)
			st = read_version(c, &version);
		if (st != JT_OK || version >= store_postgres_count) {
			pg_rollback(c);
			if (st == JT_OK && version > store_postgres_count) {
				log_error("store schema version %d is newer than this jeton knows (%d)",
					  version, store_postgres_count);
				st = JT_ECONFLICT;
			}
			break;
		}
		st = pg_query(c, store_postgres_files[version], LIMIT_PG_MIGRATE_MS, NULL,
			      "migration");
		if (st == JT_OK) {
			snprintf(sql, sizeof sql,
				 "DELETE FROM jeton_schema; INSERT INTO jeton_schema(version) VALUES (%d)",
				 version + 1);
			st = pg_query(c, sql, LIMIT_PG_MIGRATE_MS, NULL, "migration version");
		}
		if (st == JT_OK)
			st = pg_commit(c);
		if (st != JT_OK) {
			log_error("store migration %d failed", version + 1);
			pg_rollback(c);
			st = JT_ESTORE;
			break;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_ping(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_PING, NULL, "ping", NULL);
	pg_release(pg, c);
	return st;
}

/* ---- users ---- */

/* Runs an INSERT ... RETURNING id and fills *id. */
static enum jt_status insert_returning(struct pg_slot *c, enum pg_stmt_id sid,
				       const struct pg_params *p, const char *what, int64_t *id)
{
	PGresult *r = NULL;
	enum jt_status st = exec_row(c, sid, p, &r, what);
	if (st == JT_OK)
		*id = pg_col_int(r, 0, 0);
	else if (st == JT_ENOTFOUND)
		st = JT_ESTORE; /* RETURNING always has a row */
	PQclear(r);
	return st;
}

static enum jt_status pg_user_insert(struct store *base, struct user *u)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	if (!u->created_at)
		u->created_at = time_now();
	pg_param_text(&p, u->email);
	pg_param_text(&p, u->friendly_name);
	pg_param_text(&p, u->password_hash);
	pg_param_int(&p, u->admin);
	pg_param_int(&p, u->disabled);
	pg_param_int(&p, u->created_at);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = insert_returning(c, PGS_USER_INSERT, &p, "user insert", &u->id);
	pg_release(pg, c);
	return st;
}

/* Runs a one-row look-up of a user by an integer or a text key. */
static enum jt_status user_lookup(struct store *base, enum pg_stmt_id id, int64_t key,
				  const char *text_key, struct user *out)
{
	return pg_lookup(pg_to(base), id, stmt_sql[id], key, text_key,
			 read_user, out);
}

static enum jt_status pg_user_get(struct store *base, int64_t id, struct user *out)
{
	return user_lookup(base, PGS_USER_GET, id, NULL, out);
}

static enum jt_status pg_user_find_by_email(struct store *base, const char *email,
					    struct user *out)
{
	return user_lookup(base, PGS_USER_BY_EMAIL, 0, email, out);
}

static enum jt_status pg_user_count(struct store *base, int64_t *count)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	PGresult *r = NULL;
	enum jt_status st = exec_row(c, PGS_USER_COUNT, NULL, &r, "user count");
	if (st == JT_OK)
		*count = pg_col_int(r, 0, 0);
	PQclear(r);
	pg_release(pg, c);
	return st;
}

static int64_t page_before(const struct store_page *page)
{
	return page->before > 0 ? page->before : INT64_MAX;
}

static enum jt_status pg_user_list(struct store *base, const struct store_page *page,
				   struct user **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, page_before(page));
	pg_param_int(&p, page->limit);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, PGS_USER_LIST, stmt_sql[PGS_USER_LIST], &p, sizeof **items,
				       read_user,
				       (void **)items, n, "user list");
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_user_update(struct store *base, const struct user *u)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	int64_t changes = 0;
	pg_param_int(&p, u->id);
	pg_param_text(&p, u->friendly_name);
	pg_param_text(&p, u->password_hash);
	pg_param_int(&p, u->admin);
	pg_param_int(&p, u->disabled);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_USER_UPDATE, &p, "user update", &changes);
	if (st == JT_OK && changes == 0)
		st = JT_ENOTFOUND;
	pg_release(pg, c);
	return st;
}

/* ---- spaces and memberships ---- */

static enum jt_status pg_space_insert(struct store *base, struct space *sp)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	if (!sp->created_at)
		sp->created_at = time_now();
	pg_param_text(&p, sp->name);
	pg_param_int(&p, sp->created_at);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = insert_returning(c, PGS_SPACE_INSERT, &p, "space insert", &sp->id);
	pg_release(pg, c);
	return st;
}

static enum jt_status space_lookup(struct store *base, enum pg_stmt_id id, int64_t key,
				   const char *text_key, struct space *out)
{
	return pg_lookup(pg_to(base), id, stmt_sql[id], key, text_key,
			 read_space, out);
}

static enum jt_status pg_space_get(struct store *base, int64_t id, struct space *out)
{
	return space_lookup(base, PGS_SPACE_GET, id, NULL, out);
}

static enum jt_status pg_space_find_by_name(struct store *base, const char *name,
					    struct space *out)
{
	return space_lookup(base, PGS_SPACE_BY_NAME, 0, name, out);
}

static enum jt_status pg_space_list(struct store *base, int64_t user_id, bool members_only,
				    struct space **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	enum pg_stmt_id id = members_only ? PGS_SPACE_LIST_USER : PGS_SPACE_LIST_ALL;
	pg_param_int(&p, user_id);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, id, stmt_sql[id], &p, sizeof **items,
				       read_space,
				       (void **)items, n, "space list");
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_member_put(struct store *base, int64_t space_id, int64_t user_id,
				    const char *role)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, space_id);
	pg_param_int(&p, user_id);
	pg_param_text(&p, role);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_MEMBER_PUT, &p, "member put", NULL);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_member_delete(struct store *base, int64_t space_id, int64_t user_id)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	int64_t changes = 0;
	pg_param_int(&p, space_id);
	pg_param_int(&p, user_id);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_MEMBER_DELETE, &p, "member delete", &changes);
	if (st == JT_OK && changes == 0)
		st = JT_ENOTFOUND;
	pg_release(pg, c);
	return st;
}

static enum jt_status member_query(struct store *base, enum pg_stmt_id id, int64_t key,
				   struct membership **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, key);
	if (id == PGS_MEMBERSHIPS_OF_USER)
		pg_param_int(&p, LIMIT_SPACES_PER_USER);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, id, stmt_sql[id], &p, sizeof **items,
				       read_membership,
				       (void **)items, n, "member list");
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_member_list(struct store *base, int64_t space_id,
				     struct membership **items, size_t *n)
{
	return member_query(base, PGS_MEMBER_LIST, space_id, items, n);
}

static enum jt_status pg_memberships_of_user(struct store *base, int64_t user_id,
					     struct membership **items, size_t *n)
{
	return member_query(base, PGS_MEMBERSHIPS_OF_USER, user_id, items, n);
}

/* ---- personal access tokens ---- */

static enum jt_status pat_insert_on(struct pg_slot *c, struct pat *p)
{
	struct pg_params q = {0};
	pg_param_int(&q, p->user_id);
	pg_param_text(&q, p->name);
	pg_param_bytes(&q, p->token_hash, STORE_HASH_LEN);
	pg_param_text(&q, p->display_prefix);
	pg_param_text(&q, p->scopes);
	pg_param_int(&q, p->created_at);
	pg_param_int(&q, p->expires_at);
	return insert_returning(c, PGS_PAT_INSERT, &q, "pat insert", &p->id);
}

/* id is PGS_PAT_GET, or PGS_PAT_GET_LOCKED inside a transaction. */
static enum jt_status pat_get_on(struct pg_slot *c, enum pg_stmt_id sid, int64_t user_id,
				 int64_t id, struct pat *out)
{
	struct pg_params p = {0};
	PGresult *r = NULL;
	pg_param_int(&p, id);
	pg_param_int(&p, user_id);
	enum jt_status st = exec_row(c, sid, &p, &r, "pat get");
	if (st == JT_OK)
		read_pat(r, 0, out);
	PQclear(r);
	return st;
}

static enum jt_status pg_pat_insert(struct store *base, struct pat *p)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pat_insert_on(c, p);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_pat_get(struct store *base, int64_t user_id, int64_t id,
				 struct pat *out)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pat_get_on(c, PGS_PAT_GET, user_id, id, out);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_pat_list(struct store *base, int64_t user_id,
				  const struct store_page *page, struct pat **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, user_id);
	pg_param_int(&p, page_before(page));
	pg_param_int(&p, page->limit);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, PGS_PAT_LIST, stmt_sql[PGS_PAT_LIST], &p, sizeof **items,
				       read_pat,
				       (void **)items, n, "pat list");
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_pat_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
					  struct pat *out)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	PGresult *r = NULL;
	pg_param_bytes(&p, hash, STORE_HASH_LEN);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_row(c, PGS_PAT_BY_HASH, &p, &r, "pat by hash");
	if (st == JT_OK)
		read_pat(r, 0, out);
	PQclear(r);
	pg_release(pg, c);
	return st;
}

static enum jt_status pat_revoke_on(struct pg_slot *c, int64_t user_id, int64_t id, int64_t now)
{
	struct pg_params p = {0};
	pg_param_int(&p, id);
	pg_param_int(&p, user_id);
	pg_param_int(&p, now);
	return exec_done(c, PGS_PAT_REVOKE, &p, "pat revoke", NULL);
}

static enum jt_status pg_pat_revoke(struct store *base, int64_t user_id, int64_t id,
				    int64_t now, struct pat *out)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pat_revoke_on(c, user_id, id, now);
	if (st == JT_OK)
		st = pat_get_on(c, PGS_PAT_GET, user_id, id, out);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_pat_rotate(struct store *base, int64_t user_id, int64_t old_id,
				    int64_t now, struct pat *fresh)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	struct pat old;
	enum jt_status st = pg_begin(c);
	if (st != JT_OK)
		goto out;
	st = pat_get_on(c, PGS_PAT_GET_LOCKED, user_id, old_id, &old);
	if (st == JT_OK && (old.revoked_at || (old.expires_at && old.expires_at <= now)))
		st = JT_ECONFLICT;
	if (st == JT_OK)
		st = pat_revoke_on(c, user_id, old_id, now);
	if (st == JT_OK)
		st = pat_insert_on(c, fresh);
	if (st == JT_OK)
		st = pg_commit(c);
	if (st != JT_OK)
		pg_rollback(c);
out:
	pg_release(pg, c);
	return st;
}

/* A plain write on the caller's thread: one short autocommit UPDATE, and
 * callers already write it at most once a minute per token. */
static enum jt_status pg_pat_touch(struct store *base, int64_t id, int64_t now, const char *ip)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, id);
	pg_param_int(&p, now);
	pg_param_text(&p, ip ? ip : "");
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_PAT_TOUCH, &p, "pat touch", NULL);
	pg_release(pg, c);
	return st;
}

static const struct store_ops postgres_ops = {
	.name = "postgres",
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.ping = pg_ping,
	.user_insert = pg_user_insert,
	.user_get = pg_user_get,
	.user_find_by_email = pg_user_find_by_email,
	.user_count = pg_user_count,
	.user_list = pg_user_list,
	.user_update = pg_user_update,
	.space_insert = pg_space_insert,
	.space_get = pg_space_get,
	.space_find_by_name = pg_space_find_by_name,
	.space_list = pg_space_list,
	.member_put = pg_member_put,
	.member_delete = pg_member_delete,
	.member_list = pg_member_list,
	.memberships_of_user = pg_memberships_of_user,
	.pat_insert = pg_pat_insert,
	.pat_get = pg_pat_get,
	.pat_list = pg_pat_list,
	.pat_find_by_hash = pg_pat_find_by_hash,
	.pat_revoke = pg_pat_revoke,
	.pat_rotate = pg_pat_rotate,
	.pat_touch = pg_pat_touch,
	.app_insert = pg_app_insert,
	.app_get = pg_app_get,
	.app_find_by_client_id = pg_app_find_by_client_id,
	.app_list = pg_app_list,
	.app_update = pg_app_update,
	.app_delete = pg_app_delete,
	.app_set_secret = pg_app_set_secret,
	.code_insert = pg_code_insert,
	.code_get = pg_code_get,
	.code_redeem = pg_code_redeem,
	.oauth_insert = pg_oauth_insert,
	.oauth_find_by_hash = pg_oauth_find_by_hash,
	.oauth_revoke = pg_oauth_revoke,
	.oauth_revoke_family = pg_oauth_revoke_family,
	.oauth_refresh = pg_oauth_refresh,
	.oauth_insert_async = pg_oauth_insert_async,
	.pat_insert_async = pg_pat_insert_async,
	.code_redeem_async = pg_code_redeem_async,
	.audit_insert = pg_audit_insert,
	.audit_list = pg_audit_list,
	.export_rows = pg_export_rows,
	.import_begin = pg_import_begin,
	.import_row = pg_import_row,
	.import_end = pg_import_end,
	.key_insert = pg_key_insert,
	.key_list = pg_key_list,
	.key_retire_others = pg_key_retire_others,
	.session_insert = pg_session_insert,
	.session_find = pg_session_find,
	.session_delete = pg_session_delete,
	.session_delete_user = pg_session_delete_user,
};
