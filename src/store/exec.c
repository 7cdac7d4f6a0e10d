/* SPDX-License-Identifier: MIT */
/* Running the store's statements: on a connection, on a pooled connection
 * for a read, and through the writer for a write. */
#include "store/query.h"
#include "util/mem.h"

#include <stdint.h>

enum jt_status db_exec(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		       int64_t *changes)
{
	const struct store_driver *d = c->st->d;
	/* Told at commit even if it touches no row: a queued write's count of
	 * rows comes too late to ask. A needless telling costs other nodes a
	 * cache reload, no more. */
	c->changed |= query_changes(q);
	if (!changes && d->queue)
		return d->queue(c, (int)q, c->st->sql[q], args, nargs, NULL);
	enum jt_status st = d->run(c, (int)q, c->st->sql[q], args, nargs);
	if (changes)
		*changes = st == JT_OK ? d->changes(c) : 0;
	d->finish(c);
	return st;
}

enum jt_status db_get(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		      void *out)
{
	const struct store_driver *d = c->st->d;
	enum jt_status st = d->run(c, (int)q, c->st->sql[q], args, nargs);
	if (st == JT_OK)
		st = d->step(c);
	if (st == JT_OK)
		record_read(query_record(q), c, out);
	d->finish(c);
	return st;
}

enum jt_status db_list(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		       void **items, size_t *n)
{
	const struct store_driver *d = c->st->d;
	const struct record *rec = query_record(q);
	size_t cap = 0, len = 0;
	char *arr = NULL;
	enum jt_status st = d->run(c, (int)q, c->st->sql[q], args, nargs);

	while (st == JT_OK && (st = d->step(c)) == JT_OK) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *grown = ncap <= SIZE_MAX / rec->size
					      ? jt_realloc(arr, ncap * rec->size)
					      : NULL;
			if (!grown) {
				st = JT_ENOMEM;
				break;
			}
			arr = grown;
			cap = ncap;
		}
		record_read(rec, c, arr + len * rec->size);
		len++;
	}
	d->finish(c);
	if (st == JT_ENOTFOUND)
		st = JT_OK; /* past the last row */
	if (st != JT_OK) {
		jt_free(arr);
		arr = NULL;
		len = 0;
	}
	*items = arr;
	*n = len;
	return st;
}

enum jt_status db_insert(struct store_conn *c, enum query q, const void *in, int64_t *id)
{
	const struct store_driver *d = c->st->d;
	struct sql_value args[RECORD_MAX_FIELDS];
	int nargs = record_args(query_record(q), in, false, args);
	c->changed |= query_changes(q);
	if (d->queue)
		return d->queue(c, (int)q, c->st->sql[q], args, nargs, id);
	enum jt_status st = d->run(c, (int)q, c->st->sql[q], args, nargs);
	if (st == JT_OK && id) {
		st = d->step(c); /* RETURNING id */
		if (st == JT_OK)
			*id = d->column(c, 0).i;
		else if (st == JT_ENOTFOUND)
			st = JT_ESTORE;
	}
	d->finish(c);
	return st;
}

enum jt_status store_get(struct store *st, enum query q, const struct sql_value *args, int nargs,
			 void *out)
{
	struct store_conn *c = st->d->acquire(st);
	enum jt_status s = db_get(c, q, args, nargs, out);
	st->d->release(c);
	return s;
}

enum jt_status store_list(struct store *st, enum query q, const struct sql_value *args, int nargs,
			  void **items, size_t *n)
{
	struct store_conn *c = st->d->acquire(st);
	enum jt_status s = db_list(c, q, args, nargs, items, n);
	st->d->release(c);
	return s;
}

/* The caller waits for the commit: args and in stay valid until then. */
struct change {
	enum query q;
	const struct sql_value *args;
	int nargs;
	bool must_change;
	const void *in;
	int64_t *id;
};

static enum jt_status change_job(struct store_conn *c, void *arg)
{
	struct change *ch = arg;
	int64_t changes = 0;
	enum jt_status st =
		db_exec(c, ch->q, ch->args, ch->nargs, ch->must_change ? &changes : NULL);
	return st == JT_OK && ch->must_change && changes == 0 ? JT_ENOTFOUND : st;
}

enum jt_status store_change(struct store *st, enum query q, const struct sql_value *args, int nargs,
			    bool must_change)
{
	struct change ch = {.q = q, .args = args, .nargs = nargs, .must_change = must_change};
	return writer_run(st, change_job, &ch, sizeof ch);
}

static enum jt_status insert_job(struct store_conn *c, void *arg)
{
	struct change *ch = arg;
	return db_insert(c, ch->q, ch->in, ch->id);
}

enum jt_status store_insert(struct store *st, enum query q, const void *in, int64_t *id)
{
	struct change ch = {.q = q, .in = in, .id = id};
	return writer_run(st, insert_job, &ch, sizeof ch);
}
