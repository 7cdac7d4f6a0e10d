/* SPDX-License-Identifier: MIT */
/* Spaces and memberships: /v1/spaces. Instance admins create spaces and
 * manage every membership; a space's admins (manage_space) manage its
 * members, adding only people they share a space with; anyone sees the
 * spaces they belong to. A token bound to a space reaches that space only,
 * whatever its rights. */
#include "api/api.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* manage_users reaches every space (0: any), a space-bound token's only
 * its own. */
static bool is_instance_admin(const struct principal *p, int64_t space_id)
{
	return (auth_rights(p) & SCOPE_MANAGE_USERS) &&
	       (!p->space_id || (space_id && p->space_id == space_id));
}

static bool sees(const struct principal *p, int64_t space_id)
{
	return is_instance_admin(p, space_id) || auth_in_space(p, space_id);
}

static void create(struct http_req *req, struct principal *p)
{
	struct jeton *jt = jeton_of(req);
	struct space s = {0};
	bool has_name;

	if (!is_instance_admin(p, 0)) {
		if (p->space_id && (auth_rights(p) & SCOPE_MANAGE_USERS))
			http_reply_fail(req, JT_EDENIED,
					"A token bound to a space cannot create spaces.");
		else
			bearer_reply_insufficient_scope(req, SCOPE_MANAGE_USERS);
		return;
	}
	cJSON *body = input_json_object(req);
	if (!body)
		return;
	if (!input_string(req, body, "name", s.name, sizeof s.name, &has_name))
		goto out;
	if (!has_name || !text_name_valid(s.name, strlen(s.name), LIMIT_NAME_CHARS)) {
		http_reply_fail(req, JT_EINVAL,
				"\"name\" is required: 1 to %d characters, no control characters.",
				LIMIT_NAME_CHARS);
		goto out;
	}
	s.created_at = time_now();
	enum jt_status st = store_space_insert(jt->store, &s);
	if (st == JT_ECONFLICT) {
		http_reply_fail(req, JT_ECONFLICT, "A space with this name already exists.");
	} else if (st != JT_OK) {
		http_reply_status(req, st, "space");
	} else {
		char location[64];
		api_audit(req, p, "space.created", true, "space %lld (%s)", (long long)s.id,
			  s.name);
		snprintf(location, sizeof location, "/v1/spaces/%lld", (long long)s.id);
		http_header_add(req, "Location", location);
		http_reply_json(req, 201, render_space(&s));
	}
out:
	cJSON_Delete(body);
}

static void list(struct http_req *req, struct principal *p)
{
	struct space *items = NULL;
	size_t n = 0;
	enum jt_status st = store_space_list(jeton_of(req)->store, p->user.id,
					     !is_instance_admin(p, 0), &items, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "space");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; arr && i < n; i++)
		if (sees(p, items[i].id))
			cJSON_AddItemToArray(arr, render_space(&items[i]));
	store_list_free(items);
	http_reply_json(req, 200, o);
}

void api_spaces_collection(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, 0);
	if (!p)
		return;
	if (req->method == HTTP_POST)
		create(req, p);
	else
		list(req, p);
	auth_release(p);
}

void api_space_item(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct space s;
	struct membership *ms = NULL;
	size_t n = 0;
	int64_t id;
	struct principal *p = bearer_authenticate(req, 0);
	if (!p)
		return;
	if (!input_id(req, 0, &id))
		goto out;
	enum jt_status st = JT_ENOTFOUND;
	if (sees(p, id))
		st = store_space_get(jt->store, id, &s);
	if (st == JT_OK)
		st = store_member_list(jt->store, id, &ms, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "space");
		goto out;
	}
	cJSON *o = render_space(&s);
	cJSON *arr = cJSON_AddArrayToObject(o, "members");
	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, render_membership(&ms[i]));
	http_reply_json(req, 200, o);
out:
	store_list_free(ms);
	auth_release(p);
}

/* Finds a user by id or email (the {user} route parameter). */
static enum jt_status find_user(struct store *st, const char *key, struct user *out)
{
	int64_t id;
	if (text_parse_i64(key, strlen(key), 1, INT64_MAX, &id) == JT_OK)
		return store_user_get(st, id, out);
	return store_user_find_by_email(st, key, out);
}

static void put_member(struct http_req *req, const struct principal *p, struct space *s,
		       struct user *u)
{
	struct jeton *jt = jeton_of(req);
	char role[STORE_ROLE_BYTES];
	bool has_role;

	cJSON *body = input_json_object(req);
	if (!body)
		return;
	if (!input_string(req, body, "role", role, sizeof role, &has_role))
		goto out;
	if (!has_role) {
		http_reply_fail(req, JT_EINVAL, "\"role\" is required: viewer, editor or admin.");
		goto out;
	}
	enum jt_status st = store_member_put(jt->store, s->id, u->id, role);
	if (st == JT_EINVAL) {
		http_reply_fail(req, JT_EINVAL, "Unknown role \"%s\".", role);
		goto out;
	}
	if (st != JT_OK) {
		http_reply_status(req, st, "membership");
		goto out;
	}
	auth_invalidate(jt->auth);
	api_audit(req, p, "member.put", true, "space %lld (%s): %s as %s", (long long)s->id,
		  s->name, u->email, role);
	struct membership m = {.space_id = s->id, .user_id = u->id};
	memcpy(m.email, u->email, sizeof m.email);
	memcpy(m.role, role, sizeof m.role);
	http_reply_json(req, 200, render_membership(&m));
out:
	cJSON_Delete(body);
}

void api_space_member(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct space s;
	struct user u;
	int64_t id;
	struct principal *p = bearer_authenticate(req, 0);
	if (!p)
		return;
	if (!input_id(req, 0, &id))
		goto out;
	if (!sees(p, id)) {
		http_reply_fail(req, JT_ENOTFOUND, "No such space.");
		goto out;
	}
	bool admin = is_instance_admin(p, id);
	if (!admin && !(auth_rights_in_space(p, id) & SCOPE_MANAGE_SPACE)) {
		bearer_reply_insufficient_scope(req, SCOPE_MANAGE_SPACE);
		goto out;
	}
	enum jt_status st = store_space_get(jt->store, id, &s);
	if (st != JT_OK) {
		http_reply_status(req, st, "space");
		goto out;
	}
	st = find_user(jt->store, req->params[1], &u);
	/* Others than instance admins reach only people they share a space
	 * with; anyone else is "no such user", as an unknown id is, so the
	 * answer does not tell which ids or emails exist. */
	bool shared = admin;
	if (st == JT_OK && !admin)
		st = auth_users_share_space(jt->store, p->user.id, p->space_id, u.id, &shared);
	if (st == JT_OK && !shared)
		st = JT_ENOTFOUND;
	if (st != JT_OK) {
		http_reply_status(req, st, "user");
		goto out;
	}
	if (req->method == HTTP_PUT) {
		put_member(req, p, &s, &u);
		goto out;
	}
	st = store_member_delete(jt->store, s.id, u.id);
	if (st == JT_OK) {
		auth_invalidate(jt->auth);
		api_audit(req, p, "member.removed", true, "space %lld (%s): %s", (long long)s.id,
			  s.name, u.email);
	}
	http_reply_status(req, st, "membership");
out:
	auth_release(p);
}
