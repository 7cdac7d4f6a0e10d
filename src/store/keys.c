/* SPDX-License-Identifier: MIT */
/* The store's verbs for the signing keys of JWT access tokens. */
#include "store/query.h"

enum jt_status store_key_insert(struct store *st, const struct signing_key *k)
{
	return store_insert(st, Q_KEY_INSERT, k, NULL);
}

enum jt_status store_key_list(struct store *st, int64_t now, struct signing_key **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_KEY_LIST, ARGS(V_INT(now)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_key_retire_others(struct store *st, const char *kid, int64_t now,
				       int64_t unpublish_at)
{
	return store_change(st, Q_KEY_RETIRE, ARGS(V_TEXT(kid), V_INT(now), V_INT(unpublish_at)),
			    false);
}
