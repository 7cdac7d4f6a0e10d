/* SPDX-License-Identifier: MIT */
/* store_copy: moves everything from one store to another, driver to
 * driver, table by table in foreign-key order (record.c's copy_tables),
 * ids kept, in one transaction on the target. Every table is read from the
 * same snapshot (one read transaction on the source), so that a store that
 * is written meanwhile still copies as it was at one moment: no token
 * without its user, no grant without its app. Rows are read one at a time
 * and go through their record: NULL and 0 (or
 * "") mean the same to every verb, and are written back as they were. A
 * table whose one row the migrations make (the policy) has that row
 * updated rather than a second one inserted. */
#include "store/query.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>

#define COPY_SQL_BYTES 2048

/* The text of table rec's SELECT (for from) or INSERT (for to; UPDATE of
 * its one row if seeded). */
static bool copy_sql(const struct store *st, const struct record *rec, bool insert, char *out,
		     size_t out_len)
{
	char cols[COPY_SQL_BYTES / 2], params[COPY_SQL_BYTES / 4], sql[COPY_SQL_BYTES];
	int w;
	if (!record_columns(rec, true, false, cols, sizeof cols) ||
	    !record_columns(rec, true, true, params, sizeof params))
		return false;
	if (insert && rec->seeded)
		w = snprintf(sql, sizeof sql, "UPDATE %s SET (%s) = (%s)", rec->table, cols,
			     params);
	else if (insert)
		w = snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)", rec->table, cols,
			     params);
	else
		w = snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, rec->table,
			     rec->key);
	return w > 0 && (size_t)w < sizeof sql && query_translate(st, sql, out, out_len);
}

/* Copies table i of copy_tables from the read transaction on from into
 * the transaction on to. */
static enum jt_status copy_table(struct store_conn *from, struct store_conn *to, int i,
				 int64_t *rows)
{
	const struct record *rec = copy_tables[i];
	const struct store_driver *d = from->st->d;
	char select[COPY_SQL_BYTES], insert[COPY_SQL_BYTES];
	struct sql_value args[RECORD_MAX_FIELDS];
	if (!copy_sql(from->st, rec, false, select, sizeof select) ||
	    !copy_sql(to->st, rec, true, insert, sizeof insert))
		return JT_EINVAL;
	void *row = jt_alloc(rec->size);
	if (!row)
		return JT_ENOMEM;
	enum jt_status s = d->run(from, -1, select, NULL, 0); /* -1: once, streamed */
	while (s == JT_OK && (s = d->step(from)) == JT_OK) {
		record_read(rec, from, row);
		int n = record_args(rec, row, true, args);
		s = to->st->d->run(to, COPY_FIRST_ID + i, insert, args, n);
		to->st->d->finish(to);
		(*rows)++;
	}
	d->finish(from);
	jt_free(row);
	return s == JT_ENOTFOUND ? JT_OK : s;
}

enum jt_status store_copy(struct store *from, struct store *to,
			  void (*progress)(const char *table, int64_t rows))
{
	int64_t users = 0;
	enum jt_status s = store_user_count(to, &users);
	if (s == JT_OK && users > 0) {
		log_error("store copy: the target already has users; copy into an empty store");
		return JT_ECONFLICT;
	}
	if (s != JT_OK)
		return s;
	struct store_conn *src = from->d->acquire(from);
	struct store_conn *c = to->d->acquire(to);
	s = from->d->begin(src, TXN_READ);
	if (s == JT_OK)
		s = to->d->begin(c, TXN_BULK);
	for (int i = 0; s == JT_OK && i < COPY_TABLES; i++) {
		int64_t rows = 0;
		s = copy_table(src, c, i, &rows);
		if (s == JT_OK && progress)
			progress(copy_tables[i]->table, rows);
		if (s != JT_OK)
			log_error("store copy: table %s failed: %s", copy_tables[i]->table,
				  jt_status_str(s));
	}
	/* Ids the target numbers from now on go past the copied ones. */
	for (int i = 0; s == JT_OK && to->d->copy_reseed && i < COPY_TABLES; i++)
		if (copy_tables[i]->generated)
			s = to->d->copy_reseed(c, copy_tables[i]->table, copy_tables[i]->generated);
	if (s == JT_OK)
		s = to->d->commit(c);
	if (s != JT_OK)
		to->d->rollback(c);
	to->d->release(c);
	from->d->rollback(src); /* read only: nothing to keep */
	from->d->release(src);
	return s;
}
