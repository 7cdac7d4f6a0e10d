/* SPDX-License-Identifier: MIT */
/* The store's verbs for the console's browser sessions. */
#include "store/query.h"

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
