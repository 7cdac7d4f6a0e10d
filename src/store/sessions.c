/* SPDX-License-Identifier: MIT */
/* The store's verbs for the console's browser sessions. */
#include "store/query.h"
#include "util/log.h"

#include <string.h>

enum jt_status store_session_insert(struct store *st, const struct session *s)
{
	return store_insert(st, Q_SESSION_INSERT, s, NULL);
}

enum jt_status store_session_find(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				  struct session *out)
{
	return store_get(st, Q_SESSION_GET, ARGS(V_HASH(hash)), out);
}

enum jt_status store_session_delete(struct store *st, const uint8_t hash[STORE_HASH_LEN])
{
	return store_change(st, Q_SESSION_DELETE, ARGS(V_HASH(hash)), false);
}

enum jt_status store_session_delete_user(struct store *st, int64_t user_id,
					 const uint8_t keep[STORE_HASH_LEN])
{
	static const uint8_t none[STORE_HASH_LEN]; /* no session has this hash */
	return store_change(st, Q_SESSION_DELETE_USER,
			    ARGS(V_INT(user_id), V_HASH(keep ? keep : none)), false);
}

enum jt_status store_session_list_user(struct store *st, int64_t user_id, struct session **items,
				       size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_SESSION_LIST_USER,
				      ARGS(V_INT(user_id), V_INT(LIMIT_PAGE_MAX)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_session_delete_own(struct store *st, int64_t user_id,
					const uint8_t hash[STORE_HASH_LEN])
{
	return store_change(st, Q_SESSION_DELETE_OWN, ARGS(V_INT(user_id), V_HASH(hash)), true);
}

struct session_touch {
	uint8_t hash[STORE_HASH_LEN];
	int64_t now, expires_at;
};

static enum jt_status session_touch_job(struct store_conn *c, void *arg)
{
	struct session_touch *t = arg;
	return db_exec(c, Q_SESSION_TOUCH,
		       ARGS(V_HASH(t->hash), V_INT(t->now), V_INT(t->expires_at)), NULL);
}

static void session_touch_done(void *arg, enum jt_status st)
{
	(void)arg;
	if (st != JT_OK)
		log_warn("could not record a session's last use: %s", jt_status_str(st));
}

enum jt_status store_session_touch(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				   int64_t now, int64_t expires_at)
{
	struct session_touch t = {.now = now, .expires_at = expires_at};
	memcpy(t.hash, hash, STORE_HASH_LEN);
	return writer_submit(st, session_touch_job, &t, sizeof t, session_touch_done, NULL);
}
