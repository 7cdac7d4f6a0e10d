/* SPDX-License-Identifier: MIT */
/* The PostgreSQL side of store_copy: exporting rows with their types,
 * streamed one at a time from one snapshot, and importing them in one
 * transaction on one connection, ids kept, identity sequences moved past
 * them at the end. A copy may take long: no statement timeout inside. */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define COPY_SQL_BYTES 1024

/* Type oids of the columns jeton's schema uses (catalog/pg_type_d.h). */
#define PG_OID_BYTEA 17
#define PG_OID_INT8  20
#define PG_OID_INT2  21
#define PG_OID_INT4  23

/* Every table with an identity id (the migrations in schema/postgres;
 * roles, memberships, auth_codes, sessions and signing_keys have none). */
static const char reseed_sql[] =
	"SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users;"
	"SELECT setval(pg_get_serial_sequence('spaces', 'id'), max(id)) FROM spaces;"
	"SELECT setval(pg_get_serial_sequence('pats', 'id'), max(id)) FROM pats;"
	"SELECT setval(pg_get_serial_sequence('apps', 'id'), max(id)) FROM apps;"
	"SELECT setval(pg_get_serial_sequence('oauth_tokens', 'id'), max(id)) FROM oauth_tokens;"
	"SELECT setval(pg_get_serial_sequence('audit', 'id'), max(id)) FROM audit";

/* Writes "a, b, c" (names) or "$1, $2, $3" (params) for t's columns. */
static bool column_list(const struct store_table *t, char *out, size_t out_len, bool params)
{
	size_t used = 0;
	if (t->ncolumns > LIMIT_PG_PARAMS)
		return false;
	out[0] = '\0';
	for (size_t i = 0; i < t->ncolumns; i++) {
		int n = params ? snprintf(out + used, out_len - used, "%s$%zu", i ? ", " : "", i + 1)
			       : snprintf(out + used, out_len - used, "%s%s", i ? ", " : "",
					  t->columns[i]);
		if (n < 0 || (size_t)n >= out_len - used)
			return false;
		used += (size_t)n;
	}
	return true;
}

/* A big-endian integer of a binary result. */
static int64_t binary_int(const unsigned char *p, int len)
{
	uint64_t v = 0;
	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	if (len < 8 && len > 0 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * len); /* sign-extend int2 and int4 */
	return (int64_t)v;
}

/* Fills v from row 0 of a binary single-row result. */
static void read_values(const PGresult *r, size_t ncolumns, struct store_value *v)
{
	for (size_t i = 0; i < ncolumns; i++) {
		int col = (int)i;
		const char *p = PQgetvalue(r, 0, col);
		int len = PQgetlength(r, 0, col);
		memset(&v[i], 0, sizeof v[i]);
		if (PQgetisnull(r, 0, col)) {
			v[i].type = VALUE_NULL;
			continue;
		}
		switch (PQftype(r, col)) {
		case PG_OID_INT2:
		case PG_OID_INT4:
		case PG_OID_INT8:
			v[i].type = VALUE_INT;
			v[i].i = binary_int((const unsigned char *)p, len);
			break;
		case PG_OID_BYTEA:
			v[i].type = VALUE_BLOB;
			v[i].p = p;
			v[i].len = (size_t)len;
			break;
		default: /* text: libpq ends every value with a NUL */
			v[i].type = VALUE_TEXT;
			v[i].p = p;
			v[i].len = (size_t)len;
		}
	}
}

enum jt_status pg_export_rows(struct store *base, const struct store_table *t,
			      enum jt_status (*row)(void *arg, const struct store_value *v),
			      void *arg)
{
	struct pg_store *pg = pg_to(base);
	char cols[COPY_SQL_BYTES], sql[COPY_SQL_BYTES * 2];
	struct store_value v[LIMIT_PG_PARAMS];
	bool timed_out = false;
	enum jt_status st;

	if (!column_list(t, cols, sizeof cols, false))
		return JT_EINVAL;
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, t->name, t->order_by);
	struct pg_slot *c = pg_acquire(pg);
	st = pg_query(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
			 "SET LOCAL statement_timeout = 0",
		      LIMIT_PG_WAIT_MS, NULL, "export");
	if (st != JT_OK)
		goto out;
	/* Binary results: integers, bytes and text as they are; one row at a
	 * time, so a big table is never held in memory whole. */
	if (!PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 1) ||
	    !PQsetSingleRowMode(c->conn)) {
		st = pg_finish(c, 0, LIMIT_PG_WAIT_MS, NULL, "export");
		goto out;
	}
	for (;;) {
		PGresult *r = pg_next_result(c, time_mono_ms() + LIMIT_PG_MIGRATE_MS, &timed_out);
		bool stop = false;
		if (!r)
			break;
		if (PQresultStatus(r) != PGRES_SINGLE_TUPLE) {
			if (st == JT_OK)
				st = pg_map(c, r, "export"); /* the end (TUPLES_OK) or an error */
		} else if (st == JT_OK) {
			read_values(r, t->ncolumns, v);
			st = row(arg, v);
			stop = st != JT_OK;
		}
		PQclear(r);
		if (stop) {
			/* Rather than read the rest of the table for nothing: the
			 * session is dropped and reset on its next use. */
			c->bad = true;
			break;
		}
	}
	if (timed_out) {
		log_error("postgres: export of %s: no reply within %d ms", t->name,
			  LIMIT_PG_MIGRATE_MS);
		c->bad = true;
		st = JT_ESTORE;
	}
out:
	pg_rollback(c); /* read only: nothing to keep */
	pg_release(pg, c);
	return st;
}

enum jt_status pg_import_begin(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_query(c, "BEGIN; SET LOCAL statement_timeout = 0", LIMIT_PG_WAIT_MS,
				     NULL, "import");
	if (st != JT_OK) {
		pg_rollback(c);
		pg_release(pg, c);
		return st;
	}
	pg->import_slot = c;
	pg->import_table = NULL;
	return JT_OK;
}

enum jt_status pg_import_row(struct store *base, const struct store_table *t,
			     const struct store_value *v)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg->import_slot;
	char cols[COPY_SQL_BYTES], params[COPY_SQL_BYTES], sql[COPY_SQL_BYTES * 3];
	struct pg_params p = {0};
	enum jt_status st;

	if (!c)
		return JT_EINVAL;
	if (c->bad)
		return JT_ESTORE;
	if (pg->import_table != t) {
		/* The unnamed statement: this table's INSERT until the next table. */
		if (!column_list(t, cols, sizeof cols, false) ||
		    !column_list(t, params, sizeof params, true))
			return JT_EINVAL;
		snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)", t->name, cols, params);
		st = pg_finish(c, PQsendPrepare(c->conn, "", sql, 0, NULL), LIMIT_PG_WAIT_MS, NULL,
			       "import prepare");
		if (st != JT_OK)
			return st;
		pg->import_table = t;
	}
	for (size_t i = 0; i < t->ncolumns; i++) {
		switch (v[i].type) {
		case VALUE_INT:
			pg_param_int(&p, v[i].i);
			break;
		case VALUE_TEXT:
			pg_param_text(&p, v[i].p);
			break;
		case VALUE_BLOB:
			pg_param_bytes(&p, v[i].p, v[i].len);
			break;
		case VALUE_NULL:
			pg_param_null(&p);
			break;
		}
	}
	int sent = PQsendQueryPrepared(c->conn, "", p.n, p.values, p.lengths, p.formats, 0);
	return pg_finish(c, sent, LIMIT_PG_WAIT_MS, NULL, "import row");
}

enum jt_status pg_import_end(struct store *base, bool commit)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg->import_slot;
	enum jt_status st = JT_OK;
	if (!c)
		return JT_EINVAL;
	if (commit)
		st = pg_query(c, reseed_sql, LIMIT_PG_MIGRATE_MS, NULL, "import sequences");
	if (commit && st == JT_OK)
		st = pg_commit(c);
	if (!commit || st != JT_OK)
		pg_rollback(c);
	pg->import_slot = NULL;
	pg->import_table = NULL;
	pg_release(pg, c);
	return st;
}
