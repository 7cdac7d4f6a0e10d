/* SPDX-License-Identifier: MIT */
/* Users: /v1/users, for instance admins (scope manage_users). Admin
 * accounts are created and changed only with every admin scope. */
#include "api/api.h"
#include "audit/audit.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* An admin account holds every admin scope: only a caller who could hand
 * them all on creates one, makes or unmakes one, or changes one in any way
 * (authority_may_touch_admin); the same for what reaches admins' tokens.
 * False after replying 403, naming what (a sentence's subject). */
bool api_may_touch_admin(struct http_req *req, const struct principal *p, const char *what)
{
	struct authority by;
	char names[LIMIT_SCOPES_BYTES + 1];
	authority_of_token(p, &by);
	if (authority_may_touch_admin(&by) == AUTHORITY_OK)
		return true;
	scope_format(auth_admin_permissions(), names, sizeof names);
	http_reply_fail(req, JT_EDENIED,
			"%s needs an instance admin's personal access token with every admin "
			"scope (%s), or the console.",
			what, names);
	return false;
}

static bool may_touch_admin(struct http_req *req, const struct principal *p)
{
	return api_may_touch_admin(req, p, "Creating an admin or changing an admin's account");
}

/* The user {id} a reset acts on, when the caller may reset them: another
 * user (one's own password or second factor goes on the console's Account
 * page, with the password or a code: a token alone, perhaps a stolen one,
 * never yields or strips one's sign-in), and an admin only for a caller
 * who may touch admins. Otherwise the reply is set and false. */
static bool reset_target(struct http_req *req, const struct principal *p, const char *own,
			 struct user *u)
{
	int64_t id;
	if (!input_id(req, 0, &id))
		return false;
	enum jt_status st = store_user_get(jeton_of(req)->store, id, u);
	crypto_wipe(u->password_hash, sizeof u->password_hash);
	if (st != JT_OK) {
		http_reply_status(req, st, "user");
		return false;
	}
	if (u->id == p->user.id) {
		http_reply_fail(req, JT_EDENIED, "%s", own);
		return false;
	}
	return !u->admin || may_touch_admin(req, p);
}

/* A user being created: validated on the serving thread, hashed and
 * stored on a slow-work thread (argon2id takes tens of milliseconds). */
struct new_user {
	struct user u;
	char password[LIMIT_PASSWORD_MAX + 1];
	bool generated;
	enum jt_status status;
	int64_t actor_id; /* who creates the user, for the audit log */
	char actor[LIMIT_EMAIL_BYTES + 1];
};

static void new_user_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct new_user));
	jt_free(ctx);
}

static void create_work(struct http_req *req)
{
	struct new_user *nu = req->ctx;
	nu->status = password_hash(nu->password, strlen(nu->password), nu->u.password_hash);
	if (nu->status == JT_OK) {
		nu->u.created_at = time_now();
		nu->status = store_user_insert(jeton_of(req)->store, &nu->u);
	}
}

static void create_done(struct http_req *req)
{
	struct new_user *nu = req->ctx;
	if (nu->status == JT_ECONFLICT) {
		http_reply_fail(req, JT_ECONFLICT, "A user with this email already exists.");
	} else if (nu->status != JT_OK) {
		http_reply_status(req, nu->status, "user");
	} else {
		audit_record(jeton_of(req)->store, nu->actor_id, nu->actor, "user.created",
			     req->client_ip, true, "user %lld (%s)%s", (long long)nu->u.id,
			     nu->u.email, nu->u.admin ? " admin" : "");
		if (nu->generated)
			http_secret(req);
		cJSON *o = render_user(&nu->u);
		if (o && nu->generated)
			cJSON_AddStringToObject(o, "password", nu->password);
		char location[64];
		snprintf(location, sizeof location, "/v1/users/%lld", (long long)nu->u.id);
		http_header_add(req, "Location", location);
		http_reply_json(req, 201, o);
	}
	new_user_destroy(nu);
	req->ctx = NULL;
}

/* POST /v1/users. A password the admin knows is one-time, as a reset's
 * (must_change_password): a generated one always, a given one unless
 * "must_change_password": false keeps it (an account a script signs in
 * with: the password grant refuses a one-time password). */
static void create(struct http_req *req, const struct principal *p)
{
	bool has_email, has_name, has_admin, has_password, has_must_change;
	struct new_user *nu = jt_calloc(1, sizeof *nu);
	cJSON *body = NULL;

	if (!nu) {
		http_reply_status(req, JT_ENOMEM, "user");
		return;
	}
	struct user *u = &nu->u;
	body = input_json_object(req);
	if (!body)
		goto fail;
	if (!input_string(req, body, "email", u->email, sizeof u->email, &has_email) ||
	    !input_string(req, body, "name", u->friendly_name, sizeof u->friendly_name,
			  &has_name) ||
	    !input_bool(req, body, "admin", &u->admin, &has_admin) ||
	    !input_string(req, body, "password", nu->password, sizeof nu->password,
			  &has_password) ||
	    !input_bool(req, body, "must_change_password", &u->password_must_change,
			&has_must_change))
		goto fail;
	if (!has_email || !text_email_valid(u->email, strlen(u->email))) {
		http_reply_fail(
			req, JT_EINVAL,
			"\"email\" is required and must be an address like ada@example.com.");
		goto fail;
	}
	if (!has_name)
		text_default_name(u->email, u->friendly_name, sizeof u->friendly_name);
	if (!text_name_valid(u->friendly_name, strlen(u->friendly_name), LIMIT_NAME_CHARS)) {
		http_reply_fail(req, JT_EINVAL,
				"\"name\" must be 1 to %d characters, no control characters.",
				LIMIT_NAME_CHARS);
		goto fail;
	}
	if (u->admin && !may_touch_admin(req, p))
		goto fail;
	if (has_password && strlen(nu->password) < LIMIT_PASSWORD_MIN) {
		http_reply_fail(req, JT_EINVAL, "\"password\" must be at least %d characters.",
				LIMIT_PASSWORD_MIN);
		goto fail;
	}
	if (!has_password && has_must_change && !u->password_must_change) {
		http_reply_fail(req, JT_EINVAL,
				"\"must_change_password\" can be false only with a \"password\": a "
				"generated password is always a one-time password.");
		goto fail;
	}
	if (!has_must_change)
		u->password_must_change = true;
	if (!has_password)
		password_generate(nu->password);
	nu->generated = !has_password;
	nu->actor_id = p->user.id;
	snprintf(nu->actor, sizeof nu->actor, "%s", p->user.id ? p->user.email : p->client_id);
	secret_json_delete(body); /* it may hold the password */
	http_set_ctx(req, nu, new_user_destroy);
	http_defer(req, create_work, create_done);
	return;
fail:
	secret_json_delete(body);
	crypto_wipe(nu, sizeof *nu);
	jt_free(nu);
}

static void list(struct http_req *req)
{
	struct store_page page;
	struct user *items = NULL;
	size_t n = 0;

	if (!input_page(req, &page))
		return;
	enum jt_status st = store_user_list(jeton_of(req)->store, &page, &items, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "user");
		return;
	}
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, render_user(&items[i]));
	cJSON *o = render_page(arr, &page, n, n ? items[n - 1].id : 0);
	store_list_free(items);
	http_reply_json(req, 200, o);
}

void api_users_collection(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (req->method == HTTP_POST)
		create(req, p);
	else
		list(req);
	auth_release(p);
}

static void update(struct http_req *req, const struct principal *p, struct user *u)
{
	struct jeton *jt = jeton_of(req);
	char name[LIMIT_NAME_BYTES + 1];
	bool has_name, has_admin, has_disabled;
	bool admin = u->admin, disabled = u->disabled;

	cJSON *body = input_json_object(req);
	if (!body)
		return;
	if (!input_string(req, body, "name", name, sizeof name, &has_name) ||
	    !input_bool(req, body, "admin", &admin, &has_admin) ||
	    !input_bool(req, body, "disabled", &disabled, &has_disabled))
		goto out;
	if (has_name && !text_name_valid(name, strlen(name), LIMIT_NAME_CHARS)) {
		http_reply_fail(req, JT_EINVAL,
				"\"name\" must be 1 to %d characters, no control characters.",
				LIMIT_NAME_CHARS);
		goto out;
	}
	if ((u->admin || admin) && !may_touch_admin(req, p))
		goto out;
	if (has_name)
		memcpy(u->friendly_name, name, sizeof u->friendly_name);
	u->admin = admin;
	u->disabled = disabled;
	enum jt_status st = store_user_update(jt->store, u);
	if (st != JT_OK) {
		http_reply_status(req, st, "user");
		goto out;
	}
	auth_invalidate(jt->auth);
	api_audit(req, p, "user.updated", true, "user %lld (%s): admin=%s disabled=%s",
		  (long long)u->id, u->email, u->admin ? "yes" : "no", u->disabled ? "yes" : "no");
	http_reply_json(req, 200, render_user(u));
out:
	cJSON_Delete(body);
}

static void reset_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct password_reset));
	jt_free(ctx);
}

static void reset_done(struct http_req *req)
{
	struct password_reset *r = req->ctx;
	password_reset_record(req, r);
	if (r->status != JT_OK) {
		http_reply_status(req, r->status, "user");
	} else {
		http_secret(req);
		cJSON *o = render_user(&r->u);
		if (o) {
			cJSON_AddStringToObject(o, "password", r->password);
			cJSON_AddNumberToObject(o, "tokens_revoked", (double)r->revoked);
		}
		http_reply_json(req, 200, o);
	}
	reset_destroy(r);
	req->ctx = NULL;
}

/* POST /v1/users/{id}/password_reset [{"revoke_tokens": true}]: a one-time
 * password, in the reply only; the user's sessions are signed out. */
void api_user_password_reset(struct http_req *req)
{
	struct user u;
	bool revoke = false, has_revoke;
	cJSON *body = NULL;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (req->body_len) {
		body = input_json_object(req);
		if (!body || !input_bool(req, body, "revoke_tokens", &revoke, &has_revoke))
			goto out;
	}
	if (!reset_target(req, p, "Change your own password on the console's Account page.", &u))
		goto out;
	struct password_reset *r = jt_calloc(1, sizeof *r);
	if (!r) {
		http_reply_status(req, JT_ENOMEM, "user");
		goto out;
	}
	r->user_id = u.id;
	r->revoke_tokens = revoke;
	r->actor_id = p->user.id;
	snprintf(r->actor, sizeof r->actor, "%s", p->user.id ? p->user.email : p->client_id);
	http_set_ctx(req, r, reset_destroy);
	http_defer(req, password_reset_work, reset_done);
out:
	cJSON_Delete(body);
	auth_release(p);
}

/* POST /v1/users/{id}/two_factor_reset: removes the user's authenticator
 * and recovery codes (a lost phone) and signs out their sessions. */
void api_user_two_factor_reset(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct user u;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (!reset_target(req, p,
			  "Turn off your own two-factor sign-in on the console's Account page, "
			  "with a code from your app.",
			  &u))
		goto out;
	enum jt_status st = auth_totp_reset(jt->store, u.id);
	api_audit(req, p, "2fa.reset", st == JT_OK, "user %lld (%s): sessions signed out",
		  (long long)u.id, u.email);
	if (st != JT_OK)
		http_reply_status(req, st, "user");
	else
		http_reply_json(req, 200, render_user(&u));
out:
	auth_release(p);
}

void api_user_item(struct http_req *req)
{
	struct user u;
	int64_t id;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	if (input_id(req, 0, &id)) {
		enum jt_status st = store_user_get(jeton_of(req)->store, id, &u);
		if (st != JT_OK)
			http_reply_status(req, st, "user");
		else if (req->method == HTTP_PATCH)
			update(req, p, &u);
		else
			http_reply_json(req, 200, render_user(&u));
	}
	auth_release(p);
}
