/* SPDX-License-Identifier: MIT */
/* The store's verbs for retention: counting and deleting what can never be
 * used again (query.c says what that is), a bounded number of rows per
 * transaction of the writer, and giving the freed space back. */
#include "store/query.h"

/* Each kind's statements, in enum purge_kind's order. */
#define PURGE_OF(kind) ((enum query)(Q_PURGE_CODES + (kind)))
#define DEAD_OF(kind)  ((enum query)(Q_DEAD_CODES + (kind)))

enum jt_status store_purge_count(struct store *st, enum purge_kind kind, int64_t cutoff,
				 int64_t now, int64_t *n)
{
	*n = 0;
	if (kind < 0 || kind >= PURGE_KINDS)
		return JT_EINVAL;
	return store_get(st, DEAD_OF(kind), ARGS(V_INT(cutoff), V_INT(0), V_INT(now)), n);
}

struct purge {
	enum purge_kind kind;
	int64_t cutoff, now, limit;
	int64_t *n;
};

static enum jt_status purge_job(struct store_conn *c, void *arg)
{
	struct purge *p = arg;
	return db_exec(c, PURGE_OF(p->kind), ARGS(V_INT(p->cutoff), V_INT(p->limit), V_INT(p->now)),
		       p->n);
}

enum jt_status store_purge(struct store *st, enum purge_kind kind, int64_t cutoff, int64_t now,
			   int limit, int64_t *n)
{
	*n = 0;
	if (kind < 0 || kind >= PURGE_KINDS || limit < 1 || limit > LIMIT_PURGE_BATCH)
		return JT_EINVAL;
	struct purge p = {.kind = kind, .cutoff = cutoff, .now = now, .limit = limit, .n = n};
	return writer_run(st, purge_job, &p, sizeof p);
}

static enum jt_status reclaim_job(struct store_conn *c, void *arg)
{
	bool *more = *(bool **)arg;
	return c->st->d->reclaim(c, LIMIT_RECLAIM_PAGES, more);
}

enum jt_status store_reclaim(struct store *st, bool *more)
{
	*more = false;
	if (!st->d->reclaim)
		return JT_OK;
	enum jt_status s = writer_run(st, reclaim_job, &more, sizeof more);
	if (s != JT_OK)
		*more = false;
	return s;
}
