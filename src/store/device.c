/* SPDX-License-Identifier: MIT */
/* The store's verbs for the device authorization grant (RFC 8628): a
 * device's pending sign-in, its user's decision, and the device's polls,
 * the last of which stores its tokens with the code's use, in one job. */
#include "store/query.h"

#include <string.h>

static enum jt_status insert_job(struct store_conn *c, void *arg)
{
	const struct device_auth *d = *(const struct device_auth **)arg;
	int64_t pending = 0;
	/* Expired a day ago: its device has been told expired_token. */
	enum jt_status s = db_exec(c, Q_DEVICE_SWEEP, ARGS(V_INT(d->created_at - 86400)), NULL);
	/* Anyone who knows a public client's id may ask: the app's sign-ins
	 * running at once are bounded, counted where they are written. */
	if (s == JT_OK)
		s = db_get(c, Q_DEVICE_PENDING, ARGS(V_INT(d->app_id), V_INT(d->created_at)),
			   &pending);
	if (s == JT_OK && pending >= LIMIT_DEVICE_PENDING)
		s = JT_ETHROTTLED;
	return s == JT_OK ? db_insert(c, Q_DEVICE_INSERT, d, NULL) : s;
}

enum jt_status store_device_insert(struct store *st, const struct device_auth *d)
{
	return writer_run(st, insert_job, &d, sizeof d);
}

enum jt_status store_device_by_user_code(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					 struct device_auth *out)
{
	return store_get(st, Q_DEVICE_BY_USER_CODE, ARGS(V_HASH(hash)), out);
}

enum jt_status store_device_by_device_code(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					   struct device_auth *out)
{
	return store_get(st, Q_DEVICE_BY_DEVICE_CODE, ARGS(V_HASH(hash)), out);
}

enum jt_status store_device_decide(struct store *st, const struct device_auth *d, int64_t now)
{
	enum jt_status s =
		store_change(st, Q_DEVICE_DECIDE,
			     ARGS(V_HASH(d->user_code_hash), V_TEXT(d->decision), V_INT(d->user_id),
				  V_INT(d->space_id), V_TEXT(d->scopes), V_INT(now)),
			     true);
	return s == JT_ENOTFOUND ? JT_ECONFLICT : s;
}

struct poll {
	uint8_t hash[STORE_HASH_LEN];
	int64_t now;
	struct oauth_token *tokens;
	size_t n;
	enum device_poll *out;
};

static enum jt_status poll_job(struct store_conn *c, void *arg)
{
	struct poll *p = arg;
	struct device_auth d;
	int64_t changes = 0;
	enum jt_status s = db_get(c, Q_DEVICE_BY_DEVICE_CODE, ARGS(V_HASH(p->hash)), &d);
	if (s != JT_OK)
		return s;
	bool slow = d.polled_at && p->now - d.polled_at < d.poll_interval;
	s = db_exec(c, Q_DEVICE_POLLED,
		    ARGS(V_HASH(p->hash), V_INT(p->now), V_INT(d.poll_interval + (slow ? 5 : 0))),
		    NULL);
	*p->out = slow                                ? DEVICE_SLOW_DOWN
		  : d.used_at                         ? DEVICE_USED
		  : d.expires_at <= p->now            ? DEVICE_EXPIRED
		  : strcmp(d.decision, "denied") == 0 ? DEVICE_DENIED
						      : DEVICE_PENDING;
	/* Allowed: the caller read it so and brought the tokens, or polls again. */
	if (s != JT_OK || *p->out != DEVICE_PENDING || strcmp(d.decision, "allowed") != 0 ||
	    !p->tokens)
		return s;
	s = db_exec(c, Q_DEVICE_USE, ARGS(V_HASH(p->hash), V_INT(p->now)), &changes);
	*p->out = changes == 1 ? DEVICE_ISSUED : DEVICE_USED;
	for (size_t i = 0; s == JT_OK && changes == 1 && i < p->n; i++)
		s = db_insert(c, Q_TOKEN_INSERT, &p->tokens[i], &p->tokens[i].id);
	return s;
}

enum jt_status store_device_poll(struct store *st, const uint8_t hash[STORE_HASH_LEN], int64_t now,
				 struct oauth_token *tokens, size_t n, enum device_poll *out)
{
	struct poll p = {.now = now, .tokens = tokens, .n = n, .out = out};
	memcpy(p.hash, hash, STORE_HASH_LEN);
	*out = DEVICE_PENDING;
	return writer_run(st, poll_job, &p, sizeof p);
}
