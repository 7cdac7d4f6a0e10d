/* SPDX-License-Identifier: MIT */
/* Users (instance admins): add (a generated one-time password shown
 * once), disable and enable, make and unmake admin, reset a password (a
 * one-time password shown once). */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

static void users_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
		       const char *notice, const char *error, const char *email, const char *name)
{
	struct user *items = NULL;
	size_t n = 0;
	struct store_page page = {.before = 0, .limit = LIMIT_PAGE_MAX};
	enum jt_status listed = store_user_list(jeton_of(req)->store, &page, &items, &n);
	if (listed != JT_OK) {
		page_fail(req, listed, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *rows = cJSON_AddArrayToObject(d, "users");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", (double)items[i].id);
		cJSON_AddStringToObject(r, "email", items[i].email);
		cJSON_AddStringToObject(r, "name", items[i].friendly_name);
		cJSON_AddBoolToObject(r, "admin", items[i].admin);
		cJSON_AddBoolToObject(r, "disabled", items[i].disabled);
		cJSON_AddStringToObject(r, "status", items[i].disabled ? "disabled" : "active");
		cJSON_AddBoolToObject(r, "self", items[i].id == c->user.id);
		console_add_time(r, "created", items[i].created_at, "");
		cJSON_AddItemToArray(rows, r);
	}
	store_list_free(items);
	cJSON *form = cJSON_AddObjectToObject(d, "form");
	cJSON_AddStringToObject(form, "email", email ? email : "");
	cJSON_AddStringToObject(form, "name", name ? name : "");
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "Users", "users", "users.html", d, c);
}

/* An admin account is created or changed only by a user holding every
 * admin scope (authority_may_touch_admin), as on the API. */
static bool may_touch_admin(const struct page_ctx *c)
{
	struct authority by;
	authority_of_session(c->held, &by);
	return authority_may_touch_admin(&by) == AUTHORITY_OK;
}

#define NOT_ADMIN_ENOUGH                                                                           \
	"Only an administrator holding every admin scope adds or changes an "                      \
	"administrator."

struct new_console_user {
	struct page_ctx c;
	struct user u;
	char password[PASSWORD_GENERATED_CHARS + 1];
	enum jt_status status;
};

static void new_user_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct new_console_user));
	jt_free(ctx);
}

static void add_work(struct http_req *req)
{
	struct new_console_user *nu = req->ctx;
	nu->status = password_hash(nu->password, strlen(nu->password), nu->u.password_hash);
	if (nu->status == JT_OK)
		nu->status = store_user_insert(jeton_of(req)->store, &nu->u);
}

static void add_done(struct http_req *req)
{
	struct new_console_user *nu = req->ctx;
	if (nu->status != JT_OK) {
		users_page(req, nu->status, &nu->c, NULL,
			   nu->status == JT_ECONFLICT ? "A user with this email already exists."
						      : "The user could not be stored.",
			   nu->u.email, nu->u.friendly_name);
	} else {
		audit_record(jeton_of(req)->store, nu->c.user.id, nu->c.user.email, "user.created",
			     req->client_ip, true, "user %lld (%s)%s", (long long)nu->u.id,
			     nu->u.email, nu->u.admin ? " admin" : "");
		cJSON *details = cJSON_CreateArray();
		cJSON *row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "label", "Email");
		cJSON_AddStringToObject(row, "value", nu->u.email);
		cJSON_AddItemToArray(details, row);
		console_secret_page(
			req, &nu->c, "users", "User added", nu->password,
			"Copy this one-time password now and give it to the user: it will not "
			"be shown again.",
			"They must choose their own at their first sign-in, before anything "
			"else.",
			"/console/users", details);
	}
	new_user_destroy(nu);
	req->ctx = NULL;
}

static void add(struct http_req *req, const struct page_ctx *c)
{
	char v[4];
	struct new_console_user *nu = jt_calloc(1, sizeof *nu);
	if (!nu) {
		page_fail(req, JT_ENOMEM, NULL, c);
		return;
	}
	nu->c = *c;
	http_form_field(req, "email", nu->u.email, sizeof nu->u.email);
	http_form_field(req, "name", nu->u.friendly_name, sizeof nu->u.friendly_name);
	http_form_field(req, "admin", v, sizeof v);
	nu->u.admin = strcmp(v, "1") == 0;
	if (!nu->u.friendly_name[0])
		text_default_name(nu->u.email, nu->u.friendly_name, sizeof nu->u.friendly_name);
	const char *error = NULL;
	enum jt_status st = JT_EINVAL;
	if (nu->u.admin && !may_touch_admin(c)) {
		error = NOT_ADMIN_ENOUGH;
		st = JT_EDENIED;
	} else if (!text_email_valid(nu->u.email, strlen(nu->u.email))) {
		error = "Enter an email such as ada@example.com.";
	} else if (!text_name_valid(nu->u.friendly_name, strlen(nu->u.friendly_name),
				    LIMIT_NAME_CHARS)) {
		error = "The name must be 1 to 100 characters.";
	}
	if (error) {
		users_page(req, st, c, NULL, error, nu->u.email, nu->u.friendly_name);
		new_user_destroy(nu);
		return;
	}
	password_generate(nu->password);
	nu->u.password_must_change = true; /* the admin saw it: one-time, as a reset's */
	http_set_ctx(req, nu, new_user_destroy);
	http_defer(req, add_work, add_done);
}

void console_users(struct http_req *req)
{
	struct page_ctx c;
	if (!console_begin(req, true, &c))
		return;
	if (req->method == HTTP_POST)
		add(req, &c);
	else
		users_page(req, JT_OK, &c, NULL, NULL, NULL, NULL);
}

/* POST /console/users/{id}: action=disable|enable|admin|unadmin. */
void console_user(struct http_req *req)
{
	struct page_ctx c;
	struct user u;
	char action[16], notice[LIMIT_EMAIL_BYTES + 64];
	int64_t id;
	struct jeton *jt = jeton_of(req);
	if (!console_begin(req, true, &c))
		return;
	const char *v = req->params[0];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK)
		st = store_user_get(jt->store, id, &u);
	if (st != JT_OK) {
		page_fail(req, st, st == JT_ENOTFOUND ? "There is no such user." : NULL, &c);
		return;
	}
	if (u.id == c.user.id) {
		users_page(req, JT_EINVAL, &c, NULL,
			   "You cannot disable yourself or drop your own admin role.", NULL, NULL);
		return;
	}
	bool was_admin = u.admin;
	http_form_field(req, "action", action, sizeof action);
	if (strcmp(action, "disable") == 0)
		u.disabled = true;
	else if (strcmp(action, "enable") == 0)
		u.disabled = false;
	else if (strcmp(action, "admin") == 0)
		u.admin = true;
	else if (strcmp(action, "unadmin") == 0)
		u.admin = false;
	else {
		users_page(req, JT_EINVAL, &c, NULL, "Unknown action.", NULL, NULL);
		return;
	}
	if ((was_admin || u.admin) && !may_touch_admin(&c)) {
		users_page(req, JT_EDENIED, &c, NULL, NOT_ADMIN_ENOUGH, NULL, NULL);
		return;
	}
	st = store_user_update(jt->store, &u);
	if (st != JT_OK) {
		users_page(req, st, &c, NULL, "The change could not be stored.", NULL, NULL);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "user.updated", req->client_ip, true,
		     "user %lld (%s): admin=%s disabled=%s", (long long)u.id, u.email,
		     u.admin ? "yes" : "no", u.disabled ? "yes" : "no");
	snprintf(notice, sizeof notice, "%s is now %s%s.", u.email,
		 u.disabled ? "disabled" : "active", u.admin ? ", an administrator" : "");
	users_page(req, JT_OK, &c, notice, NULL, NULL, NULL);
}

/* A password reset in flight, with the page it answers on. */
struct console_reset {
	struct password_reset reset; /* first: password_reset_work's req->ctx */
	struct page_ctx c;
};

static void reset_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct console_reset));
	jt_free(ctx);
}

static void reset_done(struct http_req *req)
{
	struct console_reset *cr = req->ctx;
	struct password_reset *r = &cr->reset;
	password_reset_record(req, r);
	if (r->status != JT_OK) {
		users_page(req, r->status, &cr->c, NULL, "The password could not be reset.", NULL,
			   NULL);
	} else {
		static const char *const hints[] = {
			"They must choose their own at the next sign-in. Every session of theirs "
			"was signed out; their tokens stay valid.",
			"They must choose their own at the next sign-in. Every session and every "
			"token of theirs was revoked.",
		};
		cJSON *details = cJSON_CreateArray();
		cJSON *row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "label", "Email");
		cJSON_AddStringToObject(row, "value", r->u.email);
		cJSON_AddItemToArray(details, row);
		console_secret_page(req, &cr->c, "users", "Password reset", r->password,
				    "Copy this one-time password now and give it to the user: it "
				    "will not be shown again.",
				    hints[r->revoke_tokens], "/console/users", details);
	}
	reset_destroy(cr);
	req->ctx = NULL;
}

/* POST /console/users/{id}/password_reset [revoke_tokens=1]. */
void console_user_password_reset(struct http_req *req)
{
	struct page_ctx c;
	struct user u;
	char v[4];
	int64_t id;
	if (!console_begin(req, true, &c))
		return;
	const char *p = req->params[0];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(p, strlen(p), 1, INT64_MAX, &id) == JT_OK)
		st = store_user_get(jeton_of(req)->store, id, &u);
	crypto_wipe(u.password_hash, sizeof u.password_hash);
	if (st != JT_OK) {
		page_fail(req, st, st == JT_ENOTFOUND ? "There is no such user." : NULL, &c);
		return;
	}
	if (u.id == c.user.id) {
		users_page(req, JT_EINVAL, &c, NULL,
			   "Change your own password on your Account page.", NULL, NULL);
		return;
	}
	if (u.admin && !may_touch_admin(&c)) {
		users_page(req, JT_EDENIED, &c, NULL, NOT_ADMIN_ENOUGH, NULL, NULL);
		return;
	}
	struct console_reset *r = jt_calloc(1, sizeof *r);
	if (!r) {
		page_fail(req, JT_ENOMEM, NULL, &c);
		return;
	}
	r->c = c;
	r->reset.user_id = u.id;
	r->reset.actor_id = c.user.id;
	snprintf(r->reset.actor, sizeof r->reset.actor, "%s", c.user.email);
	http_form_field(req, "revoke_tokens", v, sizeof v);
	r->reset.revoke_tokens = strcmp(v, "1") == 0;
	http_set_ctx(req, r, reset_destroy);
	http_defer(req, password_reset_work, reset_done);
}

/* POST /console/users/{id}/two_factor_reset: a lost phone. */
void console_user_two_factor_reset(struct http_req *req)
{
	struct page_ctx c;
	struct user u;
	int64_t id;
	char notice[LIMIT_EMAIL_BYTES + 96];
	struct jeton *jt = jeton_of(req);
	if (!console_begin(req, true, &c))
		return;
	const char *p = req->params[0];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(p, strlen(p), 1, INT64_MAX, &id) == JT_OK)
		st = store_user_get(jt->store, id, &u);
	crypto_wipe(u.password_hash, sizeof u.password_hash);
	if (st != JT_OK) {
		page_fail(req, st, st == JT_ENOTFOUND ? "There is no such user." : NULL, &c);
		return;
	}
	/* One's own second factor goes only with a code from it (Account page):
	 * a session alone, perhaps a stolen one, does not take it off. */
	if (u.id == c.user.id) {
		users_page(req, JT_EDENIED, &c, NULL,
			   "Turn off your own two-factor sign-in on the Account page, with a code "
			   "from your app.",
			   NULL, NULL);
		return;
	}
	if (u.admin && !may_touch_admin(&c)) {
		users_page(req, JT_EDENIED, &c, NULL, NOT_ADMIN_ENOUGH, NULL, NULL);
		return;
	}
	st = auth_totp_reset(jt->store, u.id);
	audit_record(jt->store, c.user.id, c.user.email, "2fa.reset", req->client_ip, st == JT_OK,
		     "user %lld (%s): sessions signed out", (long long)u.id, u.email);
	if (st != JT_OK) {
		users_page(req, st, &c, NULL, "The second factor could not be reset.", NULL, NULL);
		return;
	}
	snprintf(notice, sizeof notice,
		 "%s signs in with a password alone now, and was signed out everywhere.", u.email);
	users_page(req, JT_OK, &c, notice, NULL, NULL, NULL);
}
