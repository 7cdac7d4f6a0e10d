/* SPDX-License-Identifier: MIT */
/* The embedded SQLite backend of store.h.
 *
 * A pool of connections, one per calling thread at a time, each with its
 * prepared statements kept for the life of the connection. WAL journal with
 * synchronous=FULL: a write that returned is on disk. Schema versions live
 * in PRAGMA user_version; migrations are embedded at build time. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>



#define USER_COLS "id, email, friendly_name, coalesce(password_hash, ''), admin, disabled, created_at"
#define PAT_COLS "id, user_id, name, token_hash, display_prefix, scopes, created_at, " \
		 "coalesce(expires_at, 0), coalesce(last_used_at, 0), " \
		 "coalesce(last_used_ip, ''), coalesce(revoked_at, 0)"
#define MEMBER_SELECT "SELECT m.space_id, s.name, m.user_id, u.email, m.role, r.permissions " \
		      "FROM memberships m JOIN spaces s ON s.id = m.space_id " \
		      "JOIN users u ON u.id = m.user_id JOIN roles r ON r.name = m.role "

static const char *const stmt_sql[ST_APP_INSERT] = {
	[ST_USER_INSERT] = "INSERT INTO users(email, friendly_name, password_hash, admin, disabled, "
			   "created_at) VALUES (?1, ?2, nullif(?3, ''), ?4, ?5, ?6)",
	[ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users WHERE email = ?1",
	[ST_USER_COUNT] = "SELECT count(*) FROM users",
	[ST_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_USER_UPDATE] = "UPDATE users SET friendly_name = ?2, password_hash = nullif(?3, ''), "
			   "admin = ?4, disabled = ?5 WHERE id = ?1",
	[ST_SPACE_INSERT] = "INSERT INTO spaces(name, created_at) VALUES (?1, ?2)",
	[ST_SPACE_GET] = "SELECT id, name, created_at, '' FROM spaces WHERE id = ?1",
	[ST_SPACE_BY_NAME] = "SELECT id, name, created_at, '' FROM spaces WHERE name = ?1",
	[ST_SPACE_LIST_ALL] = "SELECT s.id, s.name, s.created_at, coalesce(m.role, '') FROM spaces s "
			      "LEFT JOIN memberships m ON m.space_id = s.id AND m.user_id = ?1 "
			      "ORDER BY s.id LIMIT 10000",
	[ST_SPACE_LIST_USER] = "SELECT s.id, s.name, s.created_at, m.role FROM spaces s "
			       "JOIN memberships m ON m.space_id = s.id WHERE m.user_id = ?1 "
			       "ORDER BY s.id LIMIT 10000",
	[ST_MEMBER_PUT] = "INSERT INTO memberships(space_id, user_id, role) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT(space_id, user_id) DO UPDATE SET role = excluded.role",
	[ST_MEMBER_DELETE] = "DELETE FROM memberships WHERE space_id = ?1 AND user_id = ?2",
	[ST_MEMBER_LIST] = MEMBER_SELECT "WHERE m.space_id = ?1 ORDER BY u.email LIMIT 10000",
	[ST_MEMBERSHIPS_OF_USER] = MEMBER_SELECT "WHERE m.user_id = ?1 ORDER BY m.space_id LIMIT ?2",
	[ST_PAT_INSERT] = "INSERT INTO pats(user_id, name, token_hash, display_prefix, scopes, "
			  "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0))",
	[ST_PAT_GET] = "SELECT " PAT_COLS " FROM pats WHERE id = ?1 AND (?2 = 0 OR user_id = ?2)",
	[ST_PAT_LIST] = "SELECT " PAT_COLS " FROM pats WHERE user_id = ?1 AND id < ?2 "
			"ORDER BY id DESC LIMIT ?3",
	[ST_PAT_BY_HASH] = "SELECT " PAT_COLS " FROM pats WHERE token_hash = ?1",
	[ST_PAT_REVOKE] = "UPDATE pats SET revoked_at = ?3 WHERE id = ?1 "
			  "AND (?2 = 0 OR user_id = ?2) AND revoked_at IS NULL",
	[ST_PAT_TOUCH] = "UPDATE pats SET last_used_at = ?2, last_used_ip = ?3 WHERE id = ?1",
};

static const struct store_ops sqlite_ops;

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
	return sq_stmt(c, id, stmt_sql[id]);
}


static void read_user(sqlite3_stmt *s, void *out)
{
	struct user *u = out;
	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(s, 0);
	sq_col_text(s, 1, u->email, sizeof u->email);
	sq_col_text(s, 2, u->friendly_name, sizeof u->friendly_name);
	sq_col_text(s, 3, u->password_hash, sizeof u->password_hash);
	u->admin = sqlite3_column_int(s, 4) != 0;
	u->disabled = sqlite3_column_int(s, 5) != 0;
	u->created_at = sqlite3_column_int64(s, 6);
}

static void read_space(sqlite3_stmt *s, void *out)
{
	struct space *sp = out;
	memset(sp, 0, sizeof *sp);
	sp->id = sqlite3_column_int64(s, 0);
	sq_col_text(s, 1, sp->name, sizeof sp->name);
	sp->created_at = sqlite3_column_int64(s, 2);
	sq_col_text(s, 3, sp->role, sizeof sp->role);
}

static void read_membership(sqlite3_stmt *s, void *out)
{
	struct membership *m = out;
	memset(m, 0, sizeof *m);
	m->space_id = sqlite3_column_int64(s, 0);
	sq_col_text(s, 1, m->space_name, sizeof m->space_name);
	m->user_id = sqlite3_column_int64(s, 2);
	sq_col_text(s, 3, m->email, sizeof m->email);
	sq_col_text(s, 4, m->role, sizeof m->role);
	sq_col_text(s, 5, m->permissions, sizeof m->permissions);
}

static void read_pat(sqlite3_stmt *s, void *out)
{
	struct pat *p = out;
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(s, 0);
	p->user_id = sqlite3_column_int64(s, 1);
	sq_col_text(s, 2, p->name, sizeof p->name);
	if (sqlite3_column_bytes(s, 3) == STORE_HASH_LEN)
		memcpy(p->token_hash, sqlite3_column_blob(s, 3), STORE_HASH_LEN);
	sq_col_text(s, 4, p->display_prefix, sizeof p->display_prefix);
	sq_col_text(s, 5, p->scopes, sizeof p->scopes);
	p->created_at = sqlite3_column_int64(s, 6);
	p->expires_at = sqlite3_column_int64(s, 7);
	p->last_used_at = sqlite3_column_int64(s, 8);
	sq_col_text(s, 9, p->last_used_ip, sizeof p->last_used_ip);
	p->revoked_at = sqlite3_column_int64(s, 10);
}

/* ---- lifecycle ---- */

/* The store holds token, secret and password hashes and sealed keys: only
 * jeton's user may read it, whatever the umask. SQLite gives the -wal and
 * -shm files it creates the main file's permissions, so creating that one
 * 0600 covers the three. An existing file keeps the mode its owner chose. */
static enum jt_status create_private(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return JT_OK;
	}
	if (errno != EEXIST) {
		log_error("sqlite: cannot create %s: %s", path, strerror(errno));
		return JT_ESTORE;
	}
	if (stat(path, &sb) == 0 && (sb.st_mode & 077))
		log_warn("the store %s is readable by others: chmod 600 it and its -wal and -shm files",
			 path);
	return JT_OK;
}

enum jt_status store_sqlite_open(const char *path, int threads, struct store **out)
{
	enum jt_status st = JT_ENOMEM;
	struct sqlite_store *sq = jt_calloc(1, sizeof *sq);

	*out = NULL;
	if (!sq)
		return JT_ENOMEM;
	sq->base.ops = &sqlite_ops;
	pthread_mutex_init(&sq->mu, NULL);
	pthread_cond_init(&sq->freed, NULL);
	pthread_mutex_init(&sq->batch_mu, NULL);
	pthread_cond_init(&sq->batch_cv, NULL);
	pthread_cond_init(&sq->checkpoint_cv, NULL);
	pthread_mutex_init(&sq->disk_mu, NULL);
	sq->nconns = threads < 1 ? 1 : threads + 1;
	sq->conns = jt_calloc((size_t)sq->nconns, sizeof *sq->conns);
	sq->idle = jt_calloc((size_t)sq->nconns, sizeof *sq->idle);
	if (!sq->conns || !sq->idle)
		goto fail;
	st = create_private(path);
	if (st != JT_OK)
		goto fail;
	for (int i = 0; i < sq->nconns; i++) {
		st = sq_conn_setup(sq, &sq->conns[i], path);
		if (st != JT_OK)
			goto fail;
		sq->idle[sq->nidle++] = i;
	}
	sq_disk_open(sq, path);
	st = sq_batch_start(sq, path);
	if (st != JT_OK)
		goto fail;
	*out = &sq->base;
	return JT_OK;
fail:
	sqlite_ops.close(&sq->base);
	return st;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	sq_batch_stop(sq); /* finishes every queued write first */
	for (int i = 0; sq->conns && i < sq->nconns; i++)
		sq_conn_teardown(&sq->conns[i]);
	jt_free(sq->conns);
	jt_free(sq->idle);
	pthread_cond_destroy(&sq->freed);
	pthread_mutex_destroy(&sq->mu);
	pthread_cond_destroy(&sq->batch_cv);
	pthread_cond_destroy(&sq->checkpoint_cv);
	pthread_mutex_destroy(&sq->batch_mu);
	sq_disk_close(sq);
	pthread_mutex_destroy(&sq->disk_mu);
	jt_free(sq);
}

static enum jt_status read_version(struct conn *c, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	enum jt_status st = sq_map_rc(c->db, rc, "user_version");
	sqlite3_finalize(s);
	return st;
}

static enum jt_status sq_schema_version(struct store *base, int *version, int *known)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	*known = store_sqlite_count;
	enum jt_status st = read_version(c, version);
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_migrate(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st;
	int version = 0;
	char *err = NULL;

	/* One migration per transaction; user_version moves with it. */
	for (;;) {
		int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		st = sq_map_rc(c->db, rc, "begin");
		if (st != JT_OK)
			break;
		st = read_version(c, &version);
		if (st != JT_OK || version >= store_sqlite_count) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			if (st == JT_OK && version > store_sqlite_count) {
				log_error("store schema version %d is newer than this jeton knows (%d)",
					  version, store_sqlite_count);
				st = JT_ECONFLICT;
			}
			break;
		}
		char set_version[64];
		snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", version + 1);
		rc = sqlite3_exec(c->db, store_sqlite_files[version], NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, set_version, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &err);
		if (rc != SQLITE_OK) {
			log_error("store migration %d failed: %s", version + 1, err ? err : "?");
			sqlite3_free(err);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			st = JT_ESTORE;
			break;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_ping(struct store *base)
{
	int64_t n;
	return base->ops->user_count(base, &n);
}

static enum store_health sq_health(struct store *base)
{
	return sq_disk_health(sq_to(base));
}

/* ---- users ---- */

static enum jt_status sq_user_insert(struct store *base, struct user *u)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_USER_INSERT);
	if (!u->created_at)
		u->created_at = time_now();
	if (s) {
		sq_bind_text(s, 1, u->email);
		sq_bind_text(s, 2, u->friendly_name);
		sq_bind_text(s, 3, u->password_hash);
		sqlite3_bind_int(s, 4, u->admin);
		sqlite3_bind_int(s, 5, u->disabled);
		sqlite3_bind_int64(s, 6, u->created_at);
		st = sq_exec_done(c, s, "user insert", NULL);
		if (st == JT_OK)
			u->id = sqlite3_last_insert_rowid(c->db);
	}
	sq_release(sq, c);
	return st;
}

/* Runs a one-row look-up of a user by an integer or a text key. */
static enum jt_status user_lookup(struct store *base, enum stmt_id id, int64_t key,
				  const char *text_key, struct user *out)
{
	return sq_lookup(sq_to(base), id, stmt_sql[id], key, text_key,
			 read_user, out);
}

static enum jt_status sq_user_get(struct store *base, int64_t id, struct user *out)
{
	return user_lookup(base, ST_USER_GET, id, NULL, out);
}

static enum jt_status sq_user_find_by_email(struct store *base, const char *email,
					    struct user *out)
{
	return user_lookup(base, ST_USER_BY_EMAIL, 0, email, out);
}

static enum jt_status sq_user_count(struct store *base, int64_t *count)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_USER_COUNT);
	if (s) {
		st = sq_step_row(c, s, "user count");
		if (st == JT_OK)
			*count = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	sq_release(sq, c);
	return st;
}

static int64_t page_before(const struct store_page *page)
{
	return page->before > 0 ? page->before : INT64_MAX;
}

static enum jt_status sq_user_list(struct store *base, const struct store_page *page,
				   struct user **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_USER_LIST);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, page_before(page));
		sqlite3_bind_int(s, 2, page->limit);
		st = sq_collect(c, s, sizeof **items, read_user,
			     (void **)items, n, "user list");
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_user_update(struct store *base, const struct user *u)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, ST_USER_UPDATE);
	if (s) {
		sqlite3_bind_int64(s, 1, u->id);
		sq_bind_text(s, 2, u->friendly_name);
		sq_bind_text(s, 3, u->password_hash);
		sqlite3_bind_int(s, 4, u->admin);
		sqlite3_bind_int(s, 5, u->disabled);
		st = sq_exec_done(c, s, "user update", &changes);
		if (st == JT_OK && changes == 0)
			st = JT_ENOTFOUND;
	}
	sq_release(sq, c);
	return st;
}

/* ---- spaces and memberships ---- */

static enum jt_status sq_space_insert(struct store *base, struct space *sp)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_SPACE_INSERT);
	if (!sp->created_at)
		sp->created_at = time_now();
	if (s) {
		sq_bind_text(s, 1, sp->name);
		sqlite3_bind_int64(s, 2, sp->created_at);
		st = sq_exec_done(c, s, "space insert", NULL);
		if (st == JT_OK)
			sp->id = sqlite3_last_insert_rowid(c->db);
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status space_lookup(struct store *base, enum stmt_id id, int64_t key,
				  const char *text_key, struct space *out)
{
	return sq_lookup(sq_to(base), id, stmt_sql[id], key, text_key,
			 read_space, out);
}

static enum jt_status sq_space_get(struct store *base, int64_t id, struct space *out)
{
	return space_lookup(base, ST_SPACE_GET, id, NULL, out);
}

static enum jt_status sq_space_find_by_name(struct store *base, const char *name,
					    struct space *out)
{
	return space_lookup(base, ST_SPACE_BY_NAME, 0, name, out);
}

static enum jt_status sq_space_list(struct store *base, int64_t user_id, bool members_only,
				    struct space **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, members_only ? ST_SPACE_LIST_USER : ST_SPACE_LIST_ALL);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, user_id);
		st = sq_collect(c, s, sizeof **items, read_space,
			     (void **)items, n, "space list");
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_member_put(struct store *base, int64_t space_id, int64_t user_id,
				    const char *role)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_MEMBER_PUT);
	if (s) {
		sqlite3_bind_int64(s, 1, space_id);
		sqlite3_bind_int64(s, 2, user_id);
		sq_bind_text(s, 3, role);
		st = sq_exec_done(c, s, "member put", NULL);
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_member_delete(struct store *base, int64_t space_id, int64_t user_id)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, ST_MEMBER_DELETE);
	if (s) {
		sqlite3_bind_int64(s, 1, space_id);
		sqlite3_bind_int64(s, 2, user_id);
		st = sq_exec_done(c, s, "member delete", &changes);
		if (st == JT_OK && changes == 0)
			st = JT_ENOTFOUND;
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status member_query(struct store *base, enum stmt_id id, int64_t key,
				   struct membership **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, id);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, key);
		if (id == ST_MEMBERSHIPS_OF_USER)
			sqlite3_bind_int(s, 2, LIMIT_SPACES_PER_USER);
		st = sq_collect(c, s, sizeof **items,
			     read_membership, (void **)items, n,
			     "member list");
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_member_list(struct store *base, int64_t space_id,
				     struct membership **items, size_t *n)
{
	return member_query(base, ST_MEMBER_LIST, space_id, items, n);
}

static enum jt_status sq_memberships_of_user(struct store *base, int64_t user_id,
					     struct membership **items, size_t *n)
{
	return member_query(base, ST_MEMBERSHIPS_OF_USER, user_id, items, n);
}

/* ---- personal access tokens ---- */

static enum jt_status pat_insert_on(struct conn *c, struct pat *p)
{
	sqlite3_stmt *s = stmt(c, ST_PAT_INSERT);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, p->user_id);
	sq_bind_text(s, 2, p->name);
	sqlite3_bind_blob(s, 3, p->token_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sq_bind_text(s, 4, p->display_prefix);
	sq_bind_text(s, 5, p->scopes);
	sqlite3_bind_int64(s, 6, p->created_at);
	sqlite3_bind_int64(s, 7, p->expires_at);
	enum jt_status st = sq_exec_done(c, s, "pat insert", NULL);
	if (st == JT_OK)
		p->id = sqlite3_last_insert_rowid(c->db);
	return st;
}

static enum jt_status pat_get_on(struct conn *c, int64_t user_id, int64_t id, struct pat *out)
{
	sqlite3_stmt *s = stmt(c, ST_PAT_GET);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, user_id);
	enum jt_status st = sq_step_row(c, s, "pat get");
	if (st == JT_OK)
		read_pat(s, out);
	sqlite3_reset(s);
	return st;
}

/* PAT writes go through the writer thread (sq_batch_run): one writer, no
 * lock contention with group commits, and concurrent creations share an
 * fsync. The caller waits for the commit. */
struct pat_write {
	int64_t user_id;
	int64_t id;
	int64_t now;
	struct pat *p;   /* insert: the new token; revoke: the result */
};

static enum jt_status pat_insert_job(struct conn *c, void *arg)
{
	struct pat_write *w = arg;
	return pat_insert_on(c, w->p);
}

static enum jt_status sq_pat_insert(struct store *base, struct pat *p)
{
	struct pat_write w = {.p = p};
	return sq_batch_run(sq_to(base), pat_insert_job, &w, sizeof w);
}

static enum jt_status sq_pat_insert_async(struct store *base, struct pat *p, store_done done,
					  void *arg)
{
	struct pat_write w = {.p = p};
	return sq_batch_submit(sq_to(base), pat_insert_job, &w, sizeof w, done, arg);
}

static enum jt_status sq_pat_get(struct store *base, int64_t user_id, int64_t id,
				 struct pat *out)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = pat_get_on(c, user_id, id, out);
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_pat_list(struct store *base, int64_t user_id,
				  const struct store_page *page, struct pat **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_PAT_LIST);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, user_id);
		sqlite3_bind_int64(s, 2, page_before(page));
		sqlite3_bind_int(s, 3, page->limit);
		st = sq_collect(c, s, sizeof **items, read_pat,
			     (void **)items, n, "pat list");
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status sq_pat_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
					  struct pat *out)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_PAT_BY_HASH);
	if (s) {
		sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
		st = sq_step_row(c, s, "pat by hash");
		if (st == JT_OK)
			read_pat(s, out);
		sqlite3_reset(s);
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status pat_revoke_on(struct conn *c, int64_t user_id, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(c, ST_PAT_REVOKE);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int64(s, 3, now);
	return sq_exec_done(c, s, "pat revoke", NULL);
}

static enum jt_status pat_revoke_job(struct conn *c, void *arg)
{
	struct pat_write *w = arg;
	enum jt_status st = pat_revoke_on(c, w->user_id, w->id, w->now);
	return st == JT_OK ? pat_get_on(c, w->user_id, w->id, w->p) : st;
}

static enum jt_status sq_pat_revoke(struct store *base, int64_t user_id, int64_t id,
				    int64_t now, struct pat *out)
{
	struct pat_write w = {.user_id = user_id, .id = id, .now = now, .p = out};
	return sq_batch_run(sq_to(base), pat_revoke_job, &w, sizeof w);
}

/* Inside the writer's savepoint: a failure undoes both writes. */
static enum jt_status pat_rotate_job(struct conn *c, void *arg)
{
	struct pat_write *w = arg;
	struct pat old;
	enum jt_status st = pat_get_on(c, w->user_id, w->id, &old);
	if (st == JT_OK && (old.revoked_at || (old.expires_at && old.expires_at <= w->now)))
		st = JT_ECONFLICT;
	if (st == JT_OK)
		st = pat_revoke_on(c, w->user_id, w->id, w->now);
	if (st == JT_OK)
		st = pat_insert_on(c, w->p);
	return st;
}

static enum jt_status sq_pat_rotate(struct store *base, int64_t user_id, int64_t old_id,
				    int64_t now, struct pat *fresh)
{
	struct pat_write w = {.user_id = user_id, .id = old_id, .now = now, .p = fresh};
	return sq_batch_run(sq_to(base), pat_rotate_job, &w, sizeof w);
}

struct touch_args {
	int64_t id;
	int64_t now;
	char ip[LIMIT_IP_BYTES + 1];
};

static enum jt_status touch_job(struct conn *c, void *arg)
{
	struct touch_args *a = arg;
	sqlite3_stmt *s = stmt(c, ST_PAT_TOUCH);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, a->id);
	sqlite3_bind_int64(s, 2, a->now);
	sq_bind_text(s, 3, a->ip);
	return sq_exec_done(c, s, "pat touch", NULL);
}

static void touch_done(void *arg, enum jt_status st)
{
	(void)arg;
	if (st != JT_OK)
		log_warn("could not record a token's last use: %s", jt_status_str(st));
}

/* Queued on the writer thread: the request that triggered it never waits. */
static enum jt_status sq_pat_touch(struct store *base, int64_t id, int64_t now, const char *ip)
{
	struct touch_args a = {.id = id, .now = now};
	snprintf(a.ip, sizeof a.ip, "%s", ip ? ip : "");
	return sq_batch_submit(sq_to(base), touch_job, &a, sizeof a, touch_done, NULL);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.ping = sq_ping,
	.health = sq_health,
	.user_insert = sq_user_insert,
	.user_get = sq_user_get,
	.user_find_by_email = sq_user_find_by_email,
	.user_count = sq_user_count,
	.user_list = sq_user_list,
	.user_update = sq_user_update,
	.space_insert = sq_space_insert,
	.space_get = sq_space_get,
	.space_find_by_name = sq_space_find_by_name,
	.space_list = sq_space_list,
	.member_put = sq_member_put,
	.member_delete = sq_member_delete,
	.member_list = sq_member_list,
	.memberships_of_user = sq_memberships_of_user,
	.pat_insert = sq_pat_insert,
	.pat_get = sq_pat_get,
	.pat_list = sq_pat_list,
	.pat_find_by_hash = sq_pat_find_by_hash,
	.pat_revoke = sq_pat_revoke,
	.pat_rotate = sq_pat_rotate,
	.pat_touch = sq_pat_touch,
	.app_insert = sq_app_insert,
	.app_get = sq_app_get,
	.app_find_by_client_id = sq_app_find_by_client_id,
	.app_list = sq_app_list,
	.app_update = sq_app_update,
	.app_delete = sq_app_delete,
	.app_set_secret = sq_app_set_secret,
	.code_insert = sq_code_insert,
	.code_get = sq_code_get,
	.code_redeem = sq_code_redeem,
	.oauth_insert = sq_oauth_insert,
	.oauth_find_by_hash = sq_oauth_find_by_hash,
	.oauth_revoke = sq_oauth_revoke,
	.oauth_revoke_family = sq_oauth_revoke_family,
	.oauth_refresh = sq_oauth_refresh,
	.oauth_insert_async = sq_oauth_insert_async,
	.code_redeem_async = sq_code_redeem_async,
	.pat_insert_async = sq_pat_insert_async,
	.export_rows = sq_export_rows,
	.import_begin = sq_import_begin,
	.import_row = sq_import_row,
	.import_end = sq_import_end,
	.audit_insert = sq_audit_insert,
	.audit_list = sq_audit_list,
	.key_insert = sq_key_insert,
	.key_list = sq_key_list,
	.key_retire_others = sq_key_retire_others,
	.session_insert = sq_session_insert,
	.session_find = sq_session_find,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
};
