/* SPDX-License-Identifier: MIT */
/* The store's verbs for login throttling's counters, which auth/throttle.c
 * keeps in the store when several nodes share it.
 *
 * An update reads its counters, lets the caller decide, and writes them
 * back, in one transaction that holds them meanwhile: on PostgreSQL a
 * row lock per counter (Q_THROTTLE_LOCK), taken in the order of the keys
 * so that two updates never wait for each other in a cycle. That
 * transaction is its own, on a pooled connection, not a batch of the
 * writer: a batch holds its locks until it commits, so a node's guesses
 * would queue behind another node's whole batches, and two batches locking
 * the same counters in different orders would deadlock. On SQLite (one
 * node, where the throttle counts in memory) it goes through the writer
 * like every other write. */
#include "store/query.h"

#include <string.h>

struct update {
	const uint8_t (*keys)[STORE_HASH_LEN];
	size_t n;
	store_throttle_change change;
	void *arg;
	bool changed;
};

static enum jt_status update_job(struct store_conn *c, void *arg)
{
	struct update *u = arg;
	struct throttle_count counts[STORE_THROTTLE_KEYS];
	size_t order[STORE_THROTTLE_KEYS];
	enum jt_status s = JT_OK;

	for (size_t i = 0; i < u->n; i++) {
		size_t j = i;
		for (; j > 0 && memcmp(u->keys[order[j - 1]], u->keys[i], STORE_HASH_LEN) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t k = 0; s == JT_OK && k < u->n; k++) {
		size_t i = order[k];
		s = db_get(c, Q_THROTTLE_LOCK, ARGS(V_HASH(u->keys[i])), &counts[i]);
		if (s == JT_ENOTFOUND) {
			memset(&counts[i], 0, sizeof counts[i]);
			s = JT_OK;
		}
	}
	u->changed = s == JT_OK && u->change(u->arg, counts, u->n);
	for (size_t i = 0; s == JT_OK && u->changed && i < u->n; i++) {
		const struct throttle_count *t = &counts[i];
		s = db_exec(c, Q_THROTTLE_PUT,
			    ARGS(V_HASH(u->keys[i]), V_INT(t->failures), V_INT(t->passes),
				 V_INT(t->start_ms), V_INT(t->last_ms), V_INT(t->reported_ms),
				 V_INT(t->until_ms)),
			    NULL);
	}
	return s;
}

enum jt_status store_throttle_update(struct store *st, const uint8_t (*keys)[STORE_HASH_LEN],
				     size_t n, store_throttle_change change, void *arg)
{
	const struct store_driver *d = st->d;
	struct update u = {.keys = keys, .n = n, .change = change, .arg = arg};
	if (n == 0 || n > STORE_THROTTLE_KEYS)
		return JT_EINVAL;
	if (!d->shared)
		return writer_run(st, update_job, &u, sizeof u);
	struct store_conn *c = d->acquire(st);
	enum jt_status s = d->begin(c, TXN_WRITE);
	if (s == JT_OK)
		s = update_job(c, &u);
	if (s == JT_OK && u.changed)
		s = d->commit(c);
	if (s != JT_OK || !u.changed)
		d->rollback(c); /* nothing to keep; also the rows a lock created */
	d->release(c);
	return s;
}

struct purge {
	int64_t now_ms;
	int64_t limit;
	int64_t *deleted;
};

static enum jt_status purge_job(struct store_conn *c, void *arg)
{
	struct purge *p = arg;
	return db_exec(c, Q_THROTTLE_PURGE, ARGS(V_INT(p->now_ms), V_INT(p->limit)), p->deleted);
}

enum jt_status store_throttle_purge(struct store *st, int64_t now_ms, int64_t limit,
				    int64_t *deleted)
{
	*deleted = 0;
	if (limit < 1)
		return JT_EINVAL;
	struct purge p = {.now_ms = now_ms, .limit = limit, .deleted = deleted};
	return writer_run(st, purge_job, &p, sizeof p);
}

enum jt_status store_throttle_dead(struct store *st, int64_t now_ms, int64_t *n)
{
	*n = 0;
	return store_get(st, Q_THROTTLE_DEAD, ARGS(V_INT(now_ms)), n);
}
