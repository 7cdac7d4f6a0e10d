/* SPDX-License-Identifier: MIT */
/* The SQLite side of store_copy: exporting rows with their types, and
 * importing them in one transaction on one connection. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#define COPY_SQL_BYTES 1024
#define COPY_MAX_COLUMNS 24 /* the widest table, apps, has 17 */

static bool column_list(const struct store_table *t, char *out, size_t out_len, bool params)
{
	size_t used = 0;
	for (size_t i = 0; i < t->ncolumns; i++) {
		int n = params ? snprintf(out + used, out_len - used, "%s?%zu", i ? ", " : "", i + 1)
			       : snprintf(out + used, out_len - used, "%s%s", i ? ", " : "",
					  t->columns[i]);
		if (n < 0 || (size_t)n >= out_len - used)
			return false;
		used += (size_t)n;
	}
	return t->ncolumns <= COPY_MAX_COLUMNS;
}

enum jt_status sq_export_rows(struct store *base, const struct store_table *t,
			      enum jt_status (*row)(void *arg, const struct store_value *v),
			      void *arg)
{
	struct sqlite_store *sq = sq_to(base);
	char cols[COPY_SQL_BYTES], sql[COPY_SQL_BYTES * 2];
	struct store_value v[COPY_MAX_COLUMNS];
	sqlite3_stmt *s = NULL;
	enum jt_status st = JT_EINVAL;
	int rc;

	if (!column_list(t, cols, sizeof cols, false))
		return JT_EINVAL;
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, t->name, t->order_by);
	struct conn *c = sq_acquire(sq);
	rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
	st = sq_map_rc(c->db, rc, "export");
	while (st == JT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (size_t i = 0; i < t->ncolumns; i++) {
			int ci = (int)i;
			memset(&v[i], 0, sizeof v[i]);
			switch (sqlite3_column_type(s, ci)) {
			case SQLITE_INTEGER:
				v[i].type = VALUE_INT;
				v[i].i = sqlite3_column_int64(s, ci);
				break;
			case SQLITE_TEXT:
				v[i].type = VALUE_TEXT;
				v[i].p = (const char *)sqlite3_column_text(s, ci);
				v[i].len = (size_t)sqlite3_column_bytes(s, ci);
				break;
			case SQLITE_BLOB:
				v[i].type = VALUE_BLOB;
				v[i].p = sqlite3_column_blob(s, ci);
				v[i].len = (size_t)sqlite3_column_bytes(s, ci);
				break;
			default:
				v[i].type = VALUE_NULL;
			}
		}
		st = row(arg, v);
	}
	if (st == JT_OK && rc != SQLITE_DONE)
		st = sq_map_rc(c->db, rc, "export step");
	sqlite3_finalize(s);
	sq_release(sq, c);
	return st;
}

enum jt_status sq_import_begin(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	sq->import_conn = sq_acquire(sq);
	enum jt_status st = sq_begin(sq->import_conn);
	if (st != JT_OK) {
		sq_release(sq, sq->import_conn);
		sq->import_conn = NULL;
	}
	return st;
}

enum jt_status sq_import_row(struct store *base, const struct store_table *t,
			     const struct store_value *v)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq->import_conn;
	char cols[COPY_SQL_BYTES], params[COPY_SQL_BYTES], sql[COPY_SQL_BYTES * 3];
	if (!c)
		return JT_EINVAL;
	if (sq->import_table != t) {
		sqlite3_finalize(sq->import_stmt);
		sq->import_stmt = NULL;
		sq->import_table = t;
		if (!column_list(t, cols, sizeof cols, false) ||
		    !column_list(t, params, sizeof params, true))
			return JT_EINVAL;
		snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)", t->name, cols, params);
		int rc = sqlite3_prepare_v2(c->db, sql, -1, &sq->import_stmt, NULL);
		if (rc != SQLITE_OK)
			return sq_map_rc(c->db, rc, "import prepare");
	}
	sqlite3_stmt *s = sq->import_stmt;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	for (size_t i = 0; i < t->ncolumns; i++) {
		int pi = (int)i + 1;
		switch (v[i].type) {
		case VALUE_INT:
			sqlite3_bind_int64(s, pi, v[i].i);
			break;
		case VALUE_TEXT:
			sqlite3_bind_text(s, pi, v[i].p, (int)v[i].len, SQLITE_TRANSIENT);
			break;
		case VALUE_BLOB:
			sqlite3_bind_blob(s, pi, v[i].p, (int)v[i].len, SQLITE_TRANSIENT);
			break;
		case VALUE_NULL:
			sqlite3_bind_null(s, pi);
			break;
		}
	}
	return sq_exec_done(c, s, "import row", NULL);
}

enum jt_status sq_import_end(struct store *base, bool commit)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq->import_conn;
	enum jt_status st = JT_OK;
	if (!c)
		return JT_EINVAL;
	sqlite3_finalize(sq->import_stmt);
	sq->import_stmt = NULL;
	sq->import_table = NULL;
	if (commit)
		st = sq_commit(c);
	if (!commit || st != JT_OK)
		sq_rollback(c);
	sq_release(sq, c);
	sq->import_conn = NULL;
	return st;
}
