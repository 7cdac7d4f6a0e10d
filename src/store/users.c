/* SPDX-License-Identifier: MIT */
/* The store's verbs for users, spaces and memberships. */
#include "store/query.h"
#include "util/time.h"

enum jt_status store_user_insert(struct store *st, struct user *u)
{
	if (!u->created_at)
		u->created_at = time_now();
	return store_insert(st, Q_USER_INSERT, u, &u->id);
}

enum jt_status store_user_get(struct store *st, int64_t id, struct user *out)
{
	return store_get(st, Q_USER_GET, ARGS(V_INT(id)), out);
}

enum jt_status store_user_find_by_email(struct store *st, const char *email, struct user *out)
{
	return store_get(st, Q_USER_BY_EMAIL, ARGS(V_TEXT(email)), out);
}

enum jt_status store_user_count(struct store *st, int64_t *count)
{
	return store_get(st, Q_USER_COUNT, NO_ARGS, count);
}

enum jt_status store_user_list(struct store *st, const struct store_page *page, struct user **items,
			       size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_USER_LIST,
				      ARGS(V_INT(page_before(page)), V_INT(page->limit)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_user_update(struct store *st, const struct user *u)
{
	return store_change(st, Q_USER_UPDATE,
			    ARGS(V_INT(u->id), V_TEXT(u->friendly_name), V_TEXT0(u->password_hash),
				 V_BOOL(u->admin), V_BOOL(u->disabled),
				 V_BOOL(u->password_must_change)),
			    true);
}

/* Every token of a user, PATs and OAuth tokens, in one job. */
struct user_revoke {
	int64_t user_id, now;
	const char *reason;
	int64_t *revoked;
};

static enum jt_status user_revoke_job(struct store_conn *c, void *arg)
{
	struct user_revoke *r = arg;
	int64_t pats = 0, oauth = 0;
	enum jt_status s =
		db_exec(c, Q_PAT_REVOKE_USER,
			ARGS(V_INT(r->user_id), V_INT(r->now), V_TEXT(r->reason)), &pats);
	if (s == JT_OK)
		s = db_exec(c, Q_TOKEN_REVOKE_USER,
			    ARGS(V_INT(r->user_id), V_INT(r->now), V_TEXT(r->reason)), &oauth);
	*r->revoked = pats + oauth; /* the job may run twice (writer.c) */
	return s;
}

enum jt_status store_user_revoke_tokens(struct store *st, int64_t user_id, int64_t now,
					const char *reason, int64_t *revoked)
{
	*revoked = 0;
	struct user_revoke r = {user_id, now, reason, revoked};
	return writer_run(st, user_revoke_job, &r, sizeof r);
}

enum jt_status store_space_insert(struct store *st, struct space *s)
{
	if (!s->created_at)
		s->created_at = time_now();
	return store_insert(st, Q_SPACE_INSERT, s, &s->id);
}

enum jt_status store_space_get(struct store *st, int64_t id, struct space *out)
{
	return store_get(st, Q_SPACE_GET, ARGS(V_INT(id)), out);
}

enum jt_status store_space_find_by_name(struct store *st, const char *name, struct space *out)
{
	return store_get(st, Q_SPACE_BY_NAME, ARGS(V_TEXT(name)), out);
}

enum jt_status store_space_list(struct store *st, int64_t user_id, bool members_only,
				struct space **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, members_only ? Q_SPACE_LIST_USER : Q_SPACE_LIST_ALL,
				      ARGS(V_INT(user_id)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_member_put(struct store *st, int64_t space_id, int64_t user_id,
				const char *role)
{
	return store_change(st, Q_MEMBER_PUT, ARGS(V_INT(space_id), V_INT(user_id), V_TEXT(role)),
			    false);
}

enum jt_status store_member_delete(struct store *st, int64_t space_id, int64_t user_id)
{
	return store_change(st, Q_MEMBER_DELETE, ARGS(V_INT(space_id), V_INT(user_id)), true);
}

enum jt_status store_member_list(struct store *st, int64_t space_id, struct membership **items,
				 size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_MEMBER_LIST, ARGS(V_INT(space_id)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_memberships_of_user(struct store *st, int64_t user_id,
					 struct membership **items, size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_MEMBERSHIPS_OF_USER,
				      ARGS(V_INT(user_id), V_INT(LIMIT_SPACES_PER_USER)), &list, n);
	*items = list;
	return s;
}
