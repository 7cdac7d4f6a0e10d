/* SPDX-License-Identifier: MIT */
/* Account: who you are, and changing your password (argon2id runs on a
 * slow-work thread, never on a serving thread). The current password's
 * check is throttled as a login is; a change signs the user out of every
 * other session. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/time.h"

#include <string.h>

static void account_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			 const char *notice, const char *error)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", c->user.friendly_name);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "Account", "account", "account.html", d, c);
}

struct password_change {
	struct page_ctx c;
	char current[LIMIT_PASSWORD_MAX + 1];
	char fresh[LIMIT_PASSWORD_MAX + 1];
	struct throttle_ticket ticket;
	uint8_t session[STORE_HASH_LEN]; /* the session that stays signed in */
	bool current_ok;                 /* the current password was right */
	enum jt_status status;           /* of the change */
	enum jt_status signed_out;       /* of signing out the other sessions */
};

static void change_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct password_change));
	jt_free(ctx);
}

static void change_work(struct http_req *req)
{
	struct password_change *pc = req->ctx;
	struct store *st = jeton_of(req)->store;
	struct user u;
	pc->status = auth_check_password(st, pc->c.user.email, pc->current, &u);
	pc->current_ok = pc->status == JT_OK;
	if (pc->status == JT_OK)
		pc->status = store_user_get(st, u.id, &u);
	if (pc->status == JT_OK)
		pc->status = password_hash(pc->fresh, strlen(pc->fresh), u.password_hash);
	if (pc->status == JT_OK)
		pc->status = store_user_update(st, &u);
	if (pc->status == JT_OK)
		pc->signed_out = store_session_delete_user(st, u.id, pc->session);
	crypto_wipe(&u, sizeof u);
}

static void change_done(struct http_req *req)
{
	struct password_change *pc = req->ctx;
	struct jeton *jt = jeton_of(req);
	bool ok = pc->status == JT_OK;
	if (pc->current_ok)
		throttle_release(jt->throttle, &pc->ticket, pc->c.user.email, req->client_ip);
	audit_record(
		jt->store, pc->c.user.id, pc->c.user.email, "password.changed", req->client_ip, ok,
		"%s",
		!ok ? (pc->status == JT_ENOTFOUND ? "wrong current password" : "store unavailable")
		: pc->signed_out == JT_OK ? "own password; other sessions signed out"
					  : "own password; other sessions still signed in");
	if (ok && pc->signed_out == JT_OK)
		account_page(req, JT_OK, &pc->c,
			     "Your password was changed, and your other sessions were signed out.",
			     NULL);
	else if (ok)
		account_page(
			req, pc->signed_out, &pc->c, NULL,
			"Your password was changed, but your other sessions could not be signed "
			"out: change it once more to sign them out.");
	else if (!pc->current_ok) /* auth_check_password's only failure: a wrong password */
		account_page(req, JT_EINVAL, &pc->c, NULL, "The current password is not right.");
	else
		account_page(req, pc->status, &pc->c, NULL,
			     "The password could not be changed; try again.");
	change_destroy(pc);
	req->ctx = NULL;
}

void console_account(struct http_req *req)
{
	struct page_ctx c;
	char confirm[LIMIT_PASSWORD_MAX + 1];
	if (!console_begin(req, false, &c))
		return;
	if (req->method != HTTP_POST) {
		account_page(req, JT_OK, &c, NULL, NULL);
		return;
	}
	struct password_change *pc = jt_calloc(1, sizeof *pc);
	if (!pc) {
		page_fail(req, JT_ENOMEM, NULL, &c);
		return;
	}
	pc->c = c;
	http_form_field(req, "current", pc->current, sizeof pc->current);
	http_form_field(req, "password", pc->fresh, sizeof pc->fresh);
	http_form_field(req, "confirm", confirm, sizeof confirm);
	const char *error = NULL;
	char wait[96];
	enum jt_status status = JT_EINVAL;
	if (strlen(pc->fresh) < LIMIT_PASSWORD_MIN) {
		error = "The new password must have at least 12 characters.";
	} else if (strcmp(pc->fresh, confirm) != 0) {
		error = "The two new passwords differ.";
	} else if (!throttle_reserve(jeton_of(req)->throttle, c.user.email, req->client_ip,
				     time_now_ms(), &pc->ticket)) {
		console_throttled(req, pc->ticket.retry_after, wait, sizeof wait);
		error = wait;
		status = JT_ETHROTTLED;
	}
	crypto_wipe(confirm, sizeof confirm);
	if (error) {
		change_destroy(pc);
		account_page(req, status, &c, NULL, error);
		return;
	}
	session_hash(req, pc->session);
	http_set_ctx(req, pc, change_destroy);
	http_defer(req, change_work, change_done);
}
