/* SPDX-License-Identifier: MIT */
/* The store's verbs for leaked tokens and the scanners that report them. */
#include "crypto/crypto.h"
#include "store/query.h"

#include <string.h>

enum jt_status store_scanner_insert(struct store *st, const struct scanner *s)
{
	return store_insert(st, Q_SCANNER_INSERT, s, NULL);
}

enum jt_status store_scanner_find_by_key_id(struct store *st, const char *key_id,
					    struct scanner *out)
{
	return store_get(st, Q_SCANNER_BY_KEY_ID, ARGS(V_TEXT(key_id)), out);
}

enum jt_status store_scanner_list(struct store *st, struct scanner **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_SCANNER_LIST, NO_ARGS, &list, n);
	*items = list;
	return s;
}

enum jt_status store_scanner_delete(struct store *st, const char *name)
{
	return store_change(st, Q_SCANNER_DELETE, ARGS(V_TEXT(name)), true);
}

struct leak_write {
	struct token_leak leak;
	int64_t family_id;
	uint8_t unusable[STORE_HASH_LEN]; /* a secret: the hash of no secret */
	bool *recorded;
};

/* A client secret: the app's secret becomes one nobody has (an admin gives
 * it a new one), and the client-credentials tokens it may have minted go. */
static enum jt_status revoke_secret(struct store_conn *c, const struct leak_write *w)
{
	const struct token_leak *l = &w->leak;
	enum jt_status s = db_exec(c, Q_LEAK_APP_SECRET,
				   ARGS(V_INT(l->token_id), V_HASH(w->unusable),
					V_INT(l->reported_at), V_HASH(l->token_hash)),
				   NULL);
	return s == JT_OK ? db_exec(c, Q_LEAK_APP_TOKENS,
				    ARGS(V_INT(l->token_id), V_INT(l->reported_at)), NULL)
			  : s;
}

/* The record first: of two reports of one token, at once or one after the
 * other, only the one that records it revokes and is told so. The
 * revocations share the job's savepoint, so a leak is never recorded for
 * a token left live. */
static enum jt_status revoke_job(struct store_conn *c, void *arg)
{
	const struct leak_write *w = arg;
	const struct token_leak *l = &w->leak;
	struct sql_value args[RECORD_MAX_FIELDS];
	int64_t recorded = 0;

	*w->recorded = false;
	enum jt_status s =
		db_exec(c, Q_LEAK_INSERT, args, record_args(&rec_leak, l, false, args), &recorded);
	if (s != JT_OK || !recorded)
		return s;
	*w->recorded = true;
	if (strcmp(l->kind, "secret") == 0)
		return revoke_secret(c, w);
	if (strcmp(l->kind, "pat") == 0)
		return db_exec(c, Q_LEAK_PAT_REVOKE,
			       ARGS(V_INT(l->token_id), V_INT(l->reported_at)), NULL);
	return db_exec(c, Q_LEAK_TOKEN_REVOKE,
		       ARGS(V_INT(l->token_id), V_INT(l->reported_at), V_INT(w->family_id)), NULL);
}

enum jt_status store_leak_revoke(struct store *st, const struct token_leak *leak, int64_t family_id,
				 bool *recorded)
{
	struct leak_write w = {.leak = *leak, .family_id = family_id, .recorded = recorded};
	random_bytes(w.unusable, sizeof w.unusable);
	return writer_run(st, revoke_job, &w, sizeof w);
}

enum jt_status store_leak_get(struct store *st, const uint8_t token_hash[STORE_HASH_LEN],
			      struct token_leak *out)
{
	return store_get(st, Q_LEAK_GET, ARGS(V_HASH(token_hash)), out);
}

enum jt_status store_leak_app_by_secret(struct store *st, const uint8_t secret_hash[STORE_HASH_LEN],
					struct app *out)
{
	return store_get(st, Q_LEAK_APP_BY_SECRET, ARGS(V_HASH(secret_hash)), out);
}

enum jt_status store_leak_list_user(struct store *st, int64_t user_id, struct token_leak **items,
				    size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_LEAK_LIST_USER, ARGS(V_INT(user_id)), &list, n);
	*items = list;
	return s;
}
