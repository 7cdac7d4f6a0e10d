/* SPDX-License-Identifier: MIT */
/* The store's verbs for personal access tokens. Every write goes through
 * the writer: concurrent creations share a commit. */
#include "store/query.h"
#include "util/log.h"

#include <stdio.h>

/* What a PAT write needs on the writer thread. */
struct pat_write {
	int64_t user_id;
	int64_t id;
	int64_t now;
	int64_t old_until; /* rotate: the end of the old token's overlap; 0 = none */
	struct pat *p;     /* insert and rotate: the new token; revoke: the result */
};

static enum jt_status insert_job(struct store_conn *c, void *arg)
{
	struct pat_write *w = arg;
	return db_insert(c, Q_PAT_INSERT, w->p, &w->p->id);
}

enum jt_status store_pat_insert(struct store *st, struct pat *p)
{
	struct pat_write w = {.p = p};
	return writer_run(st, insert_job, &w, sizeof w);
}

enum jt_status store_pat_insert_async(struct store *st, struct pat *p, store_done done, void *arg)
{
	struct pat_write w = {.p = p};
	return writer_submit(st, insert_job, &w, sizeof w, done, arg);
}

enum jt_status store_pat_get(struct store *st, int64_t user_id, int64_t id, struct pat *out)
{
	return store_get(st, Q_PAT_GET, ARGS(V_INT(id), V_INT(user_id)), out);
}

enum jt_status store_pat_list(struct store *st, int64_t user_id, const struct store_page *page,
			      struct pat **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(
		st, Q_PAT_LIST, ARGS(V_INT(user_id), V_INT(page_before(page)), V_INT(page->limit)),
		&list, n);
	*items = list;
	return s;
}

enum jt_status store_pat_find_by_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				      struct pat *out)
{
	return store_get(st, Q_PAT_BY_HASH, ARGS(V_HASH(hash)), out);
}

static enum jt_status revoke_job(struct store_conn *c, void *arg)
{
	struct pat_write *w = arg;
	enum jt_status s = db_exec(c, Q_PAT_REVOKE,
				   ARGS(V_INT(w->id), V_INT(w->user_id), V_INT(w->now)), NULL);
	return s == JT_OK ? db_get(c, Q_PAT_GET, ARGS(V_INT(w->id), V_INT(w->user_id)), w->p) : s;
}

enum jt_status store_pat_revoke(struct store *st, int64_t user_id, int64_t id, int64_t now,
				struct pat *out)
{
	struct pat_write w = {.user_id = user_id, .id = id, .now = now, .p = out};
	return writer_run(st, revoke_job, &w, sizeof w);
}

/* Both writes in the job's savepoint: a failure undoes the two. */
static enum jt_status rotate_job(struct store_conn *c, void *arg)
{
	struct pat_write *w = arg;
	int64_t changes = 0;
	struct pat old;
	enum jt_status s =
		w->old_until
			? db_exec(c, Q_PAT_OVERLAP,
				  ARGS(V_INT(w->id), V_INT(w->user_id), V_INT(w->now),
				       V_INT(w->old_until)),
				  &changes)
			: db_exec(c, Q_PAT_RETIRE,
				  ARGS(V_INT(w->id), V_INT(w->user_id), V_INT(w->now)), &changes);
	if (s == JT_OK && changes == 0) {
		/* Not the user's (JT_ENOTFOUND), or no longer live. */
		s = db_get(c, Q_PAT_GET, ARGS(V_INT(w->id), V_INT(w->user_id)), &old);
		if (s == JT_OK)
			s = JT_ECONFLICT;
	}
	return s == JT_OK ? db_insert(c, Q_PAT_INSERT, w->p, &w->p->id) : s;
}

enum jt_status store_pat_rotate(struct store *st, int64_t user_id, int64_t old_id, int64_t now,
				int64_t old_until, struct pat *fresh)
{
	struct pat_write w = {
		.user_id = user_id, .id = old_id, .now = now, .old_until = old_until, .p = fresh};
	return writer_run(st, rotate_job, &w, sizeof w);
}

struct touch {
	enum query q;
	int64_t id;
	int64_t now;
	char ip[LIMIT_IP_BYTES + 1];
};

static enum jt_status touch_job(struct store_conn *c, void *arg)
{
	struct touch *t = arg;
	return db_exec(c, t->q, ARGS(V_INT(t->id), V_INT(t->now), V_TEXT(t->ip)), NULL);
}

static void touch_done(void *arg, enum jt_status st)
{
	(void)arg;
	if (st != JT_OK)
		log_warn("could not record a token's last use: %s", jt_status_str(st));
}

enum jt_status token_touch(struct store *st, enum query q, int64_t id, int64_t now, const char *ip)
{
	struct touch t = {.q = q, .id = id, .now = now};
	snprintf(t.ip, sizeof t.ip, "%s", ip ? ip : "");
	return writer_submit(st, touch_job, &t, sizeof t, touch_done, NULL);
}

enum jt_status store_pat_touch(struct store *st, int64_t id, int64_t now, const char *ip)
{
	return token_touch(st, Q_PAT_TOUCH, id, now, ip);
}
