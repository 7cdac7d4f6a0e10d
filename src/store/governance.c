/* SPDX-License-Identifier: MIT */
/* The store's verbs for token governance: the last use of OAuth tokens,
 * the apps a user authorized (their grants) and their revocation, and the
 * instance's token policy. */
#include "store/query.h"

#include <stdio.h>
#include <string.h>

enum jt_status store_oauth_touch(struct store *st, int64_t id, int64_t now, const char *ip)
{
	return token_touch(st, Q_TOKEN_TOUCH, id, now, ip);
}

enum jt_status store_oauth_list_user_grants(struct store *st, int64_t user_id,
					    struct oauth_token **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_TOKEN_LIST_USER_GRANTS,
				      ARGS(V_INT(user_id), V_INT(LIMIT_GRANT_TOKENS)), &list, n);
	*items = list;
	return s;
}

/* A grant's revocation: its tokens and its codes in one job. */
struct grant_revoke {
	int64_t user_id, app_id, space_id, now;
	int64_t *revoked;
};

static enum jt_status grant_revoke_job(struct store_conn *c, void *arg)
{
	struct grant_revoke *g = arg;
	int64_t changes = 0;
	enum jt_status s = db_exec(
		c, Q_TOKEN_REVOKE_GRANT,
		ARGS(V_INT(g->user_id), V_INT(g->app_id), V_INT(g->space_id), V_INT(g->now)),
		&changes);
	*g->revoked = changes; /* the job may run twice (writer.c) */
	if (s == JT_OK && changes == 0)
		s = JT_ENOTFOUND;
	if (s == JT_OK)
		s = db_exec(c, Q_CODE_SPEND_GRANT,
			    ARGS(V_INT(g->user_id), V_INT(g->app_id), V_INT(g->space_id),
				 V_INT(g->now)),
			    NULL);
	return s;
}

enum jt_status store_oauth_revoke_grant(struct store *st, int64_t user_id, int64_t app_id,
					int64_t space_id, int64_t now, int64_t *revoked)
{
	*revoked = 0;
	struct grant_revoke g = {user_id, app_id, space_id, now, revoked};
	return writer_run(st, grant_revoke_job, &g, sizeof g);
}

enum jt_status store_policy_get(struct store *st, struct policy *out)
{
	return store_get(st, Q_POLICY_GET, NO_ARGS, out);
}

enum jt_status store_policy_put(struct store *st, const struct policy *p)
{
	return store_change(st, Q_POLICY_PUT,
			    ARGS(V_INT(p->pat_max_lifetime), V_BOOL(p->pat_require_expiry),
				 V_INT(p->updated_at), V_TEXT(p->require_2fa)),
			    true);
}

#define INVENTORY_FILTER_ARGS(f)                                                                   \
	V_INT((f)->user_id), V_INT((f)->app_id), V_TEXT((f)->kind), V_TEXT((f)->status),           \
		V_INT((f)->now), V_INT((f)->unused_since), V_INT((f)->expires_by),                 \
		V_INT((f)->created_before), V_INT((f)->id)

/* The newest creation time a token matching f after the cursor may have. */
static int64_t created_max(const struct inventory_filter *f, const struct inventory_cursor *after)
{
	int64_t max = after && after->created_at ? after->created_at : INT64_MAX;
	if (f->created_before && f->created_before - 1 < max)
		max = f->created_before - 1;
	if (f->unused_since && f->unused_since - 1 < max)
		max = f->unused_since - 1; /* a last use is never before the creation */
	return max;
}

/* The form of the list whose filter an index serves best (query.c). */
static enum query list_query(const struct inventory_filter *f)
{
	if (f->id)
		return Q_INVENTORY_LIST_ONE;
	if (f->user_id)
		return Q_INVENTORY_LIST_USER;
	if (f->app_id)
		return Q_INVENTORY_LIST_APP;
	if (f->expires_by)
		return Q_INVENTORY_LIST_EXPIRING;
	if (strcmp(f->status, "expired") == 0)
		return Q_INVENTORY_LIST_EXPIRED;
	return Q_INVENTORY_LIST;
}

/* The first window of expired tokens: the last hour's expiries before
 * the newest creation time the page may hold; each next one is 16 times
 * as long (at most 6 windows before 1970). */
#define EXPIRED_WINDOW_FIRST  3600
#define EXPIRED_WINDOW_GROWTH 16

/* The expired tokens matching f after the cursor, newest first: those
 * that expired within a window that grows until it holds the page. A token
 * never expires before it is created (every verb sets an expiry after its
 * creation), so a token that expired before the window was created before
 * it too: once the page is full of tokens created inside the window, no
 * token outside it could take a place. Each window is a range of the
 * expiry indexes, which is what keeps this fast where expired tokens are
 * rare: walking the newest first would read a whole table to find none. */
static enum jt_status list_expired(struct store *st, const struct inventory_filter *f, int64_t at,
				   int64_t pat, int64_t id, int limit, int64_t created,
				   struct inventory_item **items, size_t *n)
{
	int64_t top = created < f->now ? created : f->now, span = EXPIRED_WINDOW_FIRST;
	for (;;) {
		void *list;
		int64_t since = top - span > 0 ? top - span : 0;
		enum jt_status s =
			store_list(st, Q_INVENTORY_LIST_EXPIRED,
				   ARGS(INVENTORY_FILTER_ARGS(f), V_INT(at), V_INT(pat), V_INT(id),
					V_INT(limit), V_INT(created), V_INT(since)),
				   &list, n);
		*items = list;
		if (s != JT_OK || since == 0 ||
		    (*n == (size_t)limit && (*items)[*n - 1].created_at > since))
			return s;
		store_list_free(list);
		span = span > top / EXPIRED_WINDOW_GROWTH ? top : span * EXPIRED_WINDOW_GROWTH;
	}
}

enum jt_status store_inventory_list(struct store *st, const struct inventory_filter *f,
				    const struct inventory_cursor *after, int limit,
				    struct inventory_item **items, size_t *n)
{
	void *list;
	bool from_start = !after || !after->created_at;
	int64_t at = from_start ? INT64_MAX : after->created_at;
	int64_t pat = from_start ? 1 : strcmp(after->kind, "pat") == 0;
	int64_t id = from_start ? INT64_MAX : after->id;
	int64_t created = created_max(f, after);
	/* The cursor starts at that bound too: SQLite seeks each (created_at,
	 * id) index to the cursor's time, and reads ?14 on every row. */
	if (created < at) {
		at = created;
		pat = 1;
		id = INT64_MAX;
	}
	enum query q = list_query(f);
	if (q == Q_INVENTORY_LIST_EXPIRED)
		return list_expired(st, f, at, pat, id, limit, created, items, n);
	enum jt_status s = store_list(st, q,
				      ARGS(INVENTORY_FILTER_ARGS(f), V_INT(at), V_INT(pat),
					   V_INT(id), V_INT(limit), V_INT(created)),
				      &list, n);
	*items = list;
	return s;
}

/* A revocation by filter: both tables in one job. */
struct inventory_revoke {
	struct inventory_filter f;
	char reason[STORE_REASON_BYTES];
	int64_t *count;
};

static enum jt_status inventory_revoke_job(struct store_conn *c, void *arg)
{
	struct inventory_revoke *r = arg;
	int64_t pats = 0, tokens = 0;
	bool one = r->f.id != 0;
	enum jt_status s = db_exec(c, one ? Q_INVENTORY_REVOKE_PAT_BY_ID : Q_INVENTORY_REVOKE_PATS,
				   ARGS(INVENTORY_FILTER_ARGS(&r->f), V_TEXT(r->reason)), &pats);
	if (s == JT_OK)
		s = db_exec(c, one ? Q_INVENTORY_REVOKE_TOKEN_BY_ID : Q_INVENTORY_REVOKE_TOKENS,
			    ARGS(INVENTORY_FILTER_ARGS(&r->f), V_TEXT(r->reason)), &tokens);
	*r->count = pats + tokens; /* the job may run twice (writer.c) */
	return s;
}

enum jt_status store_inventory_revoke(struct store *st, const struct inventory_filter *f,
				      bool dry_run, const char *reason, int64_t *count)
{
	*count = 0;
	if (!dry_run) {
		struct inventory_revoke r = {.f = *f, .count = count};
		snprintf(r.reason, sizeof r.reason, "%s", reason);
		return writer_run(st, inventory_revoke_job, &r, sizeof r);
	}
	int64_t pats = 0, tokens = 0;
	bool one = f->id != 0;
	enum jt_status s = store_get(st, one ? Q_INVENTORY_COUNT_PAT_BY_ID : Q_INVENTORY_COUNT_PATS,
				     ARGS(INVENTORY_FILTER_ARGS(f)), &pats);
	if (s == JT_OK)
		s = store_get(st, one ? Q_INVENTORY_COUNT_TOKEN_BY_ID : Q_INVENTORY_COUNT_TOKENS,
			      ARGS(INVENTORY_FILTER_ARGS(f)), &tokens);
	*count = pats + tokens;
	return s;
}
