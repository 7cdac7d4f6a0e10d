/* SPDX-License-Identifier: MIT */
/* The store's verbs for two-factor sign-in: a user's authenticator (its
 * secret sealed by the caller) and its recovery codes. */
#include "crypto/crypto.h"
#include "store/query.h"

#include <string.h>

enum jt_status store_totp_get(struct store *st, int64_t user_id, struct totp *out)
{
	return store_get(st, Q_TOTP_GET, ARGS(V_INT(user_id)), out);
}

enum jt_status store_totp_put(struct store *st, const struct totp *t)
{
	/* An enabled authenticator is left as it is: the upsert changes no row. */
	struct totp now;
	enum jt_status s = store_totp_get(st, t->user_id, &now);
	if (s == JT_OK && now.enabled)
		return JT_ECONFLICT;
	if (s != JT_OK && s != JT_ENOTFOUND)
		return s;
	return store_insert(st, Q_TOTP_PUT, t, NULL);
}

struct totp_enable {
	int64_t user_id, step;
	uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN];
};

/* The user's recovery codes become these: every older one stops working. */
static enum jt_status recovery_put(struct store_conn *c, const struct totp_enable *e)
{
	enum jt_status s = db_exec(c, Q_RECOVERY_DELETE_USER, ARGS(V_INT(e->user_id)), NULL);
	for (int i = 0; s == JT_OK && i < STORE_RECOVERY_CODES; i++) {
		struct recovery_code r = {.user_id = e->user_id};
		memcpy(r.hash, e->hashes[i], STORE_HASH_LEN);
		s = db_insert(c, Q_RECOVERY_INSERT, &r, NULL);
	}
	return s;
}

static enum jt_status totp_enable_job(struct store_conn *c, void *arg)
{
	struct totp_enable *e = arg;
	int64_t changed = 0;
	enum jt_status s =
		db_exec(c, Q_TOTP_ENABLE, ARGS(V_INT(e->user_id), V_INT(e->step)), &changed);
	if (s == JT_OK && changed == 0)
		s = JT_ECONFLICT;
	return s == JT_OK ? recovery_put(c, e) : s;
}

enum jt_status store_totp_enable(struct store *st, int64_t user_id, int64_t step,
				 const uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN])
{
	struct totp_enable e = {.user_id = user_id, .step = step};
	memcpy(e.hashes, hashes, sizeof e.hashes);
	return writer_run(st, totp_enable_job, &e, sizeof e);
}

/* Only while the authenticator is on: a reset or a disabling committed
 * first leaves no codes behind. */
static enum jt_status recovery_replace_job(struct store_conn *c, void *arg)
{
	struct totp_enable *e = arg;
	struct totp t;
	enum jt_status s = db_get(c, Q_TOTP_GET, ARGS(V_INT(e->user_id)), &t);
	if (s == JT_OK && !t.enabled)
		s = JT_ENOTFOUND;
	crypto_wipe(&t, sizeof t); /* its sealed secret */
	return s == JT_OK ? recovery_put(c, e) : s;
}

enum jt_status store_recovery_replace(struct store *st, int64_t user_id,
				      const uint8_t hashes[STORE_RECOVERY_CODES][STORE_HASH_LEN])
{
	struct totp_enable e = {.user_id = user_id};
	memcpy(e.hashes, hashes, sizeof e.hashes);
	return writer_run(st, recovery_replace_job, &e, sizeof e);
}

enum jt_status store_recovery_unused(struct store *st, int64_t user_id, int64_t *n)
{
	*n = 0;
	return store_get(st, Q_RECOVERY_UNUSED, ARGS(V_INT(user_id)), n);
}

enum jt_status store_totp_use_step(struct store *st, int64_t user_id, int64_t step)
{
	enum jt_status s =
		store_change(st, Q_TOTP_USE_STEP, ARGS(V_INT(user_id), V_INT(step)), true);
	return s == JT_ENOTFOUND ? JT_ECONFLICT : s;
}

struct totp_delete {
	int64_t user_id;
	bool end_sessions;
};

static enum jt_status totp_delete_job(struct store_conn *c, void *arg)
{
	static const uint8_t none[STORE_HASH_LEN]; /* no session has this hash */
	struct totp_delete *d = arg;
	enum jt_status s = db_exec(c, Q_TOTP_DELETE, ARGS(V_INT(d->user_id)), NULL);
	if (s == JT_OK)
		s = db_exec(c, Q_RECOVERY_DELETE_USER, ARGS(V_INT(d->user_id)), NULL);
	if (s == JT_OK && d->end_sessions)
		s = db_exec(c, Q_SESSION_DELETE_USER, ARGS(V_INT(d->user_id), V_HASH(none)), NULL);
	return s;
}

enum jt_status store_totp_delete(struct store *st, int64_t user_id, bool end_sessions)
{
	struct totp_delete d = {user_id, end_sessions};
	return writer_run(st, totp_delete_job, &d, sizeof d);
}

enum jt_status store_recovery_use(struct store *st, int64_t user_id,
				  const uint8_t hash[STORE_HASH_LEN], int64_t now)
{
	return store_change(st, Q_RECOVERY_USE, ARGS(V_HASH(hash), V_INT(user_id), V_INT(now)),
			    true);
}
