/* SPDX-License-Identifier: MIT */
/* The SQLite driver's plumbing: connection set-up, the pool, statements
 * prepared once per connection and run with typed parameters, rows and
 * transactions (driver.h). */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

struct sqlite_store *sq_to(struct store *st)
{
	return (struct sqlite_store *)st;
}

struct conn *sq_conn(struct store_conn *c)
{
	return (struct conn *)c;
}

enum jt_status sq_map_rc(sqlite3 *db, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return JT_OK;
	case SQLITE_NOMEM:
		return JT_ENOMEM;
	case SQLITE_TOOBIG:
		return JT_ETOOBIG;
	}
	if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return JT_ECONFLICT;
		return JT_EINVAL;
	}
	log_error("sqlite: %s: %s", what, sqlite3_errmsg(db));
	return JT_ESTORE;
}

enum jt_status sq_conn_setup(struct sqlite_store *sq, struct conn *c, const char *path)
{
	static const char pragmas[] =
		/* A new store only (an existing one keeps its size): 2 KiB pages
		 * halve what each token's random leaf of the hash index writes
		 * (docs/decisions.md, issue 13). */
		"PRAGMA page_size = 2048;"
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		/* Checkpoints run on their own thread (sqlite_wal.c) so that no
		 * commit stalls behind one. */
		"PRAGMA wal_autocheckpoint = 0;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA temp_store = MEMORY;";
	c->base.st = &sq->base;
	c->sq = sq;
	int rc = sqlite3_open_v2(path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
					 SQLITE_OPEN_EXRESCODE,
				 sq_vfs_register() ? SQ_VFS_NAME : NULL);
	if (rc != SQLITE_OK) {
		log_error("sqlite: cannot open %s: %s", path,
			  c->db ? sqlite3_errmsg(c->db) : "out of memory");
		return JT_ESTORE;
	}
	sqlite3_busy_timeout(c->db, LIMIT_STORE_BUSY_MS);
	/* After a restart of the WAL, the first commit cuts the file back. */
	char size_limit[64];
	snprintf(size_limit, sizeof size_limit, "PRAGMA journal_size_limit = %d",
		 LIMIT_WAL_RESTART_BYTES);
	rc = sqlite3_exec(c->db, pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, size_limit, NULL, NULL, NULL);
	return sq_map_rc(c->db, rc, "pragmas");
}

void sq_conn_teardown(struct conn *c)
{
	for (int i = 0; i < QUERY_IDS; i++)
		sqlite3_finalize(c->q[i]);
	sqlite3_close(c->db);
}

/* ---- the pool ---- */

struct store_conn *sq_acquire(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	pthread_mutex_lock(&sq->mu);
	while (sq->nidle == 0)
		pthread_cond_wait(&sq->freed, &sq->mu);
	struct conn *c = &sq->conns[sq->idle[--sq->nidle]];
	pthread_mutex_unlock(&sq->mu);
	return &c->base;
}

void sq_release(struct store_conn *base)
{
	struct conn *c = sq_conn(base);
	struct sqlite_store *sq = c->sq;
	pthread_mutex_lock(&sq->mu);
	sq->idle[sq->nidle++] = (int)(c - sq->conns);
	pthread_cond_signal(&sq->freed);
	pthread_mutex_unlock(&sq->mu);
}

struct store_conn *sq_writer_conn(struct store *base)
{
	return &sq_to(base)->batch_conn.base;
}

/* ---- statements ---- */

static void bind_all(sqlite3_stmt *s, const struct sql_value *args, int nargs)
{
	for (int i = 0; i < nargs; i++) {
		const struct sql_value *v = &args[i];
		if (v->null)
			sqlite3_bind_null(s, i + 1);
		else if (v->type == SQL_INT)
			sqlite3_bind_int64(s, i + 1, v->i);
		else if (!v->p)
			sqlite3_bind_null(s, i + 1);
		else if (v->type == SQL_TEXT)
			sqlite3_bind_text(s, i + 1, v->p, v->len ? (int)v->len : -1, SQLITE_STATIC);
		else
			sqlite3_bind_blob(s, i + 1, v->p, (int)v->len, SQLITE_STATIC);
	}
}

/* A statement that failed otherwise than by a constraint is prepared
 * afresh next time, and the schema read again: after another connection
 * changed it (a trigger added, then dropped), a connection that only
 * writes keeps its stale copy, and the statement keeps failing, until it
 * reads the schema. */
static enum jt_status failed(struct conn *c, int id, int rc, const char *what)
{
	enum jt_status st = sq_map_rc(c->db, rc, what);
	if ((rc & 0xFF) == SQLITE_CONSTRAINT)
		return st;
	if (id >= 0 && c->q[id] == c->cur && c->cur) {
		c->q[id] = NULL;
		c->cur_once = true; /* finish() finalizes it */
	}
	if ((rc & 0xFF) == SQLITE_ERROR)
		c->reread_schema = true; /* before the next statement: the fix may come first */
	return st;
}

/* Runs the statement up to its first row, or to its end: a write is done
 * when run returns. */
enum jt_status sq_run(struct store_conn *base, int id, const char *sql,
		      const struct sql_value *args, int nargs)
{
	struct conn *c = sq_conn(base);
	sqlite3_stmt *s = id >= 0 ? c->q[id] : NULL;
	char what[64];
	snprintf(what, sizeof what, "%.60s", sql);
	if (c->reread_schema) {
		c->reread_schema = false;
		sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	}
	c->cursor = CURSOR_DONE;
	c->cur_once = id < 0;
	if (!s) {
		int rc = sqlite3_prepare_v3(c->db, sql, -1, id >= 0 ? SQLITE_PREPARE_PERSISTENT : 0,
					    &s, NULL);
		if (rc != SQLITE_OK)
			return failed(c, -1, rc, what);
		if (id >= 0)
			c->q[id] = s;
	}
	c->cur = s;
	/* On a full disk, only the writes that take access away. */
	if (!sq_disk_allows(c->sq, query_takes_access_away(id)) && !sqlite3_stmt_readonly(s))
		return JT_ESTORE;
	bind_all(s, args, nargs);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		c->cursor = CURSOR_ROW_READY;
	else if (rc != SQLITE_DONE)
		return failed(c, id, rc, what);
	return JT_OK;
}

enum jt_status sq_step(struct store_conn *base)
{
	struct conn *c = sq_conn(base);
	if (c->cursor == CURSOR_ROW_READY) {
		c->cursor = CURSOR_ROWS;
		return JT_OK;
	}
	if (c->cursor == CURSOR_DONE)
		return JT_ENOTFOUND; /* a finished statement would start over if stepped */
	int rc = sqlite3_step(c->cur);
	if (rc == SQLITE_ROW)
		return JT_OK;
	c->cursor = CURSOR_DONE;
	if (rc == SQLITE_DONE)
		return JT_ENOTFOUND;
	for (int id = 0; id < QUERY_IDS; id++)
		if (c->q[id] == c->cur)
			return failed(c, id, rc, "step");
	return failed(c, -1, rc, "step");
}

struct sql_value sq_column(struct store_conn *base, int i)
{
	sqlite3_stmt *s = sq_conn(base)->cur;
	struct sql_value v = {.type = SQL_INT};
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		v.i = sqlite3_column_int64(s, i);
		break;
	case SQLITE_TEXT:
		v.type = SQL_TEXT;
		v.p = sqlite3_column_text(s, i);
		v.len = (size_t)sqlite3_column_bytes(s, i);
		break;
	case SQLITE_BLOB:
		v.type = SQL_BLOB;
		v.p = sqlite3_column_blob(s, i);
		v.len = (size_t)sqlite3_column_bytes(s, i);
		break;
	default:
		v.null = true;
	}
	return v;
}

int64_t sq_changes(struct store_conn *base)
{
	return sqlite3_changes(sq_conn(base)->db);
}

void sq_finish(struct store_conn *base)
{
	struct conn *c = sq_conn(base);
	if (c->cur && c->cur_once) {
		sqlite3_finalize(c->cur);
	} else if (c->cur) {
		sqlite3_reset(c->cur);
		sqlite3_clear_bindings(c->cur);
	}
	c->cur = NULL;
	c->cursor = CURSOR_DONE;
}

/* ---- transactions ---- */

enum jt_status sq_begin(struct store_conn *base, enum txn_kind kind)
{
	struct conn *c = sq_conn(base);
	/* A read is deferred: its first statement takes the snapshot. */
	int rc = sqlite3_exec(c->db, kind == TXN_READ ? "BEGIN" : "BEGIN IMMEDIATE", NULL, NULL,
			      NULL);
	if (rc != SQLITE_OK)
		sq_disk_note(c->sq, c->db, rc); /* the write lock stays taken */
	return sq_map_rc(c->db, rc, "begin");
}

enum jt_status sq_commit(struct store_conn *base)
{
	struct conn *c = sq_conn(base);
	int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	sq_disk_note(c->sq, c->db, rc);
	return sq_map_rc(c->db, rc, "commit");
}

void sq_rollback(struct store_conn *base)
{
	sqlite3_exec(sq_conn(base)->db, "ROLLBACK", NULL, NULL, NULL);
}

enum jt_status sq_exec(struct store_conn *base, const char *sql)
{
	struct conn *c = sq_conn(base);
	return sq_map_rc(c->db, sqlite3_exec(c->db, sql, NULL, NULL, NULL), sql);
}
