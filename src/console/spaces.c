/* SPDX-License-Identifier: MIT */
/* Spaces and their members with roles. Everyone sees their own spaces;
 * instance admins see and create all; a space's admins manage its members,
 * adding only people they share a space with. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static const char *const roles[] = {"viewer", "editor", "admin"};

static void spaces_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			const char *notice, const char *error, const char *form_name)
{
	struct space *items = NULL;
	size_t n = 0;
	enum jt_status listed =
		store_space_list(jeton_of(req)->store, c->user.id, !c->user.admin, &items, &n);
	if (listed != JT_OK) {
		page_fail(req, listed, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *rows = cJSON_AddArrayToObject(d, "spaces");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", (double)items[i].id);
		cJSON_AddStringToObject(r, "name", items[i].name);
		cJSON_AddStringToObject(r, "role", items[i].role);
		console_add_time(r, "created", items[i].created_at, "");
		cJSON_AddItemToArray(rows, r);
	}
	store_list_free(items);
	cJSON_AddBoolToObject(d, "has_spaces", n > 0);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	cJSON_AddStringToObject(d, "form_name", form_name ? form_name : "");
	page_render(req, status, "Spaces", "spaces", "spaces.html", d, c);
}

void console_spaces(struct http_req *req)
{
	struct page_ctx c;
	struct space s = {0};
	if (!console_begin(req, req->method == HTTP_POST, &c))
		return;
	if (req->method != HTTP_POST) {
		spaces_page(req, JT_OK, &c, NULL, NULL, NULL);
		return;
	}
	http_form_field(req, "name", s.name, sizeof s.name);
	if (!text_name_valid(s.name, strlen(s.name), LIMIT_NAME_CHARS)) {
		spaces_page(req, JT_EINVAL, &c, NULL,
			    "Give the space a name of 1 to 100 characters.", s.name);
		return;
	}
	enum jt_status st = store_space_insert(jeton_of(req)->store, &s);
	if (st != JT_OK) {
		spaces_page(req, st, &c, NULL,
			    st == JT_ECONFLICT ? "A space with this name already exists."
					       : "The space could not be stored.",
			    s.name);
		return;
	}
	audit_record(jeton_of(req)->store, c.user.id, c.user.email, "space.created", req->client_ip,
		     true, "space %lld (%s)", (long long)s.id, s.name);
	char url[64];
	snprintf(url, sizeof url, "/console/spaces/%lld", (long long)s.id);
	http_redirect(req, 303, url);
}

/* The space of the route if c may see it; what c may do there. */
static bool route_space(struct http_req *req, const struct page_ctx *c, struct space *s,
			bool *can_manage)
{
	struct store *st = jeton_of(req)->store;
	struct space *mine = NULL;
	size_t n = 0;
	int64_t id;
	const char *v = req->params[0];
	bool visible = false;
	enum jt_status found = JT_ENOTFOUND;
	*can_manage = c->user.admin;
	if (text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK)
		found = store_space_get(st, id, s);
	if (found == JT_OK)
		found = store_space_list(st, c->user.id, true, &mine, &n);
	if (found == JT_OK) {
		visible = c->user.admin;
		for (size_t i = 0; i < n; i++) {
			if (mine[i].id != id)
				continue;
			visible = true;
			*can_manage |= strcmp(mine[i].role, "admin") == 0;
		}
	}
	store_list_free(mine);
	if (found != JT_OK && found != JT_ENOTFOUND)
		page_fail(req, found, NULL, c);
	else if (!visible)
		page_fail(req, JT_ENOTFOUND, "There is no such space, or you are not in it.", c);
	return visible;
}

static void space_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
		       const struct space *s, bool can_manage, const char *notice,
		       const char *error)
{
	struct membership *ms = NULL;
	size_t n = 0;
	enum jt_status listed = store_member_list(jeton_of(req)->store, s->id, &ms, &n);
	if (listed != JT_OK) {
		page_fail(req, listed, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *sp = cJSON_AddObjectToObject(d, "space");
	cJSON_AddNumberToObject(sp, "id", (double)s->id);
	cJSON_AddStringToObject(sp, "name", s->name);
	console_add_time(sp, "created", s->created_at, "");
	cJSON *rows = cJSON_AddArrayToObject(d, "members");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "user_id", (double)ms[i].user_id);
		cJSON_AddStringToObject(r, "email", ms[i].email);
		cJSON_AddStringToObject(r, "role", ms[i].role);
		cJSON *rl = cJSON_AddArrayToObject(r, "roles");
		for (size_t k = 0; k < 3; k++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", roles[k]);
			cJSON_AddBoolToObject(o, "selected", strcmp(roles[k], ms[i].role) == 0);
			cJSON_AddItemToArray(rl, o);
		}
		cJSON_AddItemToArray(rows, r);
	}
	store_list_free(ms);
	cJSON_AddBoolToObject(d, "has_members", n > 0);
	cJSON_AddBoolToObject(d, "can_manage", can_manage);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, s->name, "spaces", "space.html", d, c);
}

void console_space(struct http_req *req)
{
	struct page_ctx c;
	struct space s;
	bool can_manage;
	if (console_begin(req, false, &c) && route_space(req, &c, &s, &can_manage))
		space_page(req, JT_OK, &c, &s, can_manage, NULL, NULL);
}

/* POST /console/spaces/{id}/members: add a member or change a role. */
void console_space_members(struct http_req *req)
{
	struct page_ctx c;
	struct space s;
	struct user u;
	bool can_manage;
	char email[LIMIT_EMAIL_BYTES + 1], role[STORE_ROLE_BYTES];
	struct jeton *jt = jeton_of(req);
	if (!console_begin(req, false, &c) || !route_space(req, &c, &s, &can_manage))
		return;
	if (!can_manage) {
		page_fail(req, JT_EDENIED, "Only the space's admins manage its members.", &c);
		return;
	}
	http_form_field(req, "email", email, sizeof email);
	http_form_field(req, "role", role, sizeof role);
	/* Others than instance admins add only people they share a space with,
	 * and learn nothing of anyone else, not even whether the email exists. */
	bool found = false;
	enum jt_status st = store_user_find_by_email(jt->store, email, &u);
	if (st == JT_OK && !c.user.admin)
		st = auth_users_share_space(jt->store, c.user.id, 0, u.id, &found);
	else
		found = st == JT_OK;
	if (st != JT_OK && st != JT_ENOTFOUND) {
		space_page(req, st, &c, &s, can_manage, NULL, "The change failed.");
		return;
	}
	if (!found) {
		space_page(req, JT_EINVAL, &c, &s, can_manage, NULL,
			   c.user.admin ? "No user has this email."
					: "No user you share a space with has this email.");
		return;
	}
	st = store_member_put(jt->store, s.id, u.id, role);
	if (st != JT_OK) {
		space_page(req, st, &c, &s, can_manage, NULL,
			   st == JT_EINVAL ? "Choose viewer, editor or admin."
					   : "The change failed.");
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "member.put", req->client_ip, true,
		     "space %lld (%s): %s as %s", (long long)s.id, s.name, u.email, role);
	char notice[LIMIT_EMAIL_BYTES + 64];
	snprintf(notice, sizeof notice, "%s is now %s of this space.", u.email, role);
	space_page(req, JT_OK, &c, &s, can_manage, notice, NULL);
}

void console_space_member_remove(struct http_req *req)
{
	struct page_ctx c;
	struct space s;
	struct user u;
	bool can_manage;
	int64_t uid;
	struct jeton *jt = jeton_of(req);
	if (!console_begin(req, false, &c) || !route_space(req, &c, &s, &can_manage))
		return;
	if (!can_manage) {
		page_fail(req, JT_EDENIED, "Only the space's admins manage its members.", &c);
		return;
	}
	const char *v = req->params[1];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(v, strlen(v), 1, INT64_MAX, &uid) == JT_OK)
		st = store_user_get(jt->store, uid, &u);
	if (st == JT_OK)
		st = store_member_delete(jt->store, s.id, uid);
	if (st != JT_OK) {
		space_page(req, st, &c, &s, can_manage, NULL,
			   st == JT_ENOTFOUND ? "That user is not a member."
					      : "The change failed.");
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "member.removed", req->client_ip, true,
		     "space %lld (%s): %s", (long long)s.id, s.name, u.email);
	char notice[LIMIT_EMAIL_BYTES + 64];
	snprintf(notice, sizeof notice, "%s was removed from this space.", u.email);
	space_page(req, JT_OK, &c, &s, can_manage, notice, NULL);
}
