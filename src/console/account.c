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

/* A session's key in a form: the hex of its hash (the cookie is the
 * secret; its hash opens nothing). */
static void session_key(const uint8_t hash[STORE_HASH_LEN], char out[2 * STORE_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < STORE_HASH_LEN; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[2 * STORE_HASH_LEN] = '\0';
}

static bool session_key_parse(const char *key, uint8_t out[STORE_HASH_LEN])
{
	if (strlen(key) != 2 * STORE_HASH_LEN)
		return false;
	for (int i = 0; i < 2 * STORE_HASH_LEN; i++) {
		const char *d = strchr("0123456789abcdef", key[i]);
		if (!key[i] || !d)
			return false;
		int v = (int)(d - "0123456789abcdef");
		out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : v << 4);
	}
	return true;
}

/* The user's console sessions, this one marked. */
static enum jt_status add_sessions(struct http_req *req, const struct page_ctx *c, cJSON *d)
{
	struct session *items = NULL;
	size_t n = 0;
	uint8_t mine[STORE_HASH_LEN] = {0};
	char key[2 * STORE_HASH_LEN + 1];
	bool have_mine = session_hash(req, mine);
	enum jt_status st = store_session_list_user(jeton_of(req)->store, c->user.id, &items, &n);
	if (st != JT_OK)
		return st;
	cJSON *rows = cJSON_AddArrayToObject(d, "sessions");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		session_key(items[i].hash, key);
		cJSON_AddStringToObject(r, "key", key);
		console_add_time(r, "created", items[i].created_at, "");
		console_add_time(r, "last_seen", items[i].last_seen_at, "");
		cJSON_AddStringToObject(r, "ip", items[i].ip);
		cJSON_AddStringToObject(r, "user_agent", items[i].user_agent);
		cJSON_AddBoolToObject(r, "current",
				      have_mine &&
					      memcmp(items[i].hash, mine, STORE_HASH_LEN) == 0);
		cJSON_AddItemToArray(rows, r);
	}
	cJSON_AddBoolToObject(d, "others", n > 1);
	store_list_free(items);
	return JT_OK;
}

/* Two-factor sign-in's state: on or off, and how many recovery codes are
 * left unused. */
static enum jt_status add_two_factor(struct http_req *req, const struct page_ctx *c, cJSON *d)
{
	struct store *st = jeton_of(req)->store;
	bool on = false;
	int64_t left = 0;
	enum jt_status s = auth_totp_enabled(st, c->user.id, &on);
	if (s == JT_OK && on)
		s = store_recovery_unused(st, c->user.id, &left);
	cJSON_AddBoolToObject(d, "totp_on", on);
	cJSON_AddNumberToObject(d, "recovery_left", (double)left);
	cJSON_AddNumberToObject(d, "recovery_total", STORE_RECOVERY_CODES);
	cJSON_AddBoolToObject(d, "recovery_none", on && left == 0);
	return s;
}

/* error: the password form's; totp_error: the two-factor section's. */
static void account_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			 const char *notice, const char *error, const char *totp_error)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", c->user.friendly_name);
	if (c->user.password_must_change)
		cJSON_AddStringToObject(
			d, "must_change",
			"Your password is a one-time password: choose your own before anything "
			"else.");
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	if (totp_error)
		cJSON_AddStringToObject(d, "totp_error", totp_error);
	enum jt_status listed = add_two_factor(req, c, d);
	if (listed == JT_OK)
		listed = add_sessions(req, c, d);
	if (listed != JT_OK) {
		cJSON_Delete(d);
		page_fail(req, listed, NULL, c);
		return;
	}
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
	u.password_must_change = false;
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
	if (ok)
		pc->c.user.password_must_change = false;
	if (ok && pc->signed_out == JT_OK)
		account_page(req, JT_OK, &pc->c,
			     "Your password was changed, and your other sessions were signed out.",
			     NULL, NULL);
	else if (ok)
		account_page(
			req, pc->signed_out, &pc->c, NULL,
			"Your password was changed, but your other sessions could not be signed "
			"out: change it once more to sign them out.",
			NULL);
	else if (!pc->current_ok) /* auth_check_password's only failure: a wrong password */
		account_page(req, JT_EINVAL, &pc->c, NULL, "The current password is not right.",
			     NULL);
	else
		account_page(req, pc->status, &pc->c, NULL,
			     "The password could not be changed; try again.", NULL);
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
		account_page(req, JT_OK, &c, NULL, NULL, NULL);
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
		account_page(req, status, &c, NULL, error, NULL);
		return;
	}
	session_hash(req, pc->session);
	http_set_ctx(req, pc, change_destroy);
	http_defer(req, change_work, change_done);
}

void console_account_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			  const char *notice, const char *error)
{
	account_page(req, status, c, notice, NULL, error);
}

/* Ending one of one's own sessions, or every other one. */
void console_account_sessions(struct http_req *req)
{
	struct page_ctx c;
	struct jeton *jt = jeton_of(req);
	char action[16], key[2 * STORE_HASH_LEN + 8];
	uint8_t hash[STORE_HASH_LEN], mine[STORE_HASH_LEN] = {0};
	if (!console_begin(req, false, &c))
		return;
	if (c.user.password_must_change) { /* the account page, but nothing else of it */
		account_page(req, JT_EDENIED, &c, NULL, "Choose your own password first.", NULL);
		return;
	}
	http_form_field(req, "action", action, sizeof action);
	http_form_field(req, "session", key, sizeof key);
	session_hash(req, mine);
	enum jt_status st;
	const char *done;
	if (strcmp(action, "end_others") == 0) {
		st = store_session_delete_user(jt->store, c.user.id, mine);
		done = "Your other sessions were signed out.";
	} else if (strcmp(action, "end") == 0 && session_key_parse(key, hash)) {
		st = store_session_delete_own(jt->store, c.user.id, hash);
		done = "The session was signed out.";
		if (st == JT_OK && memcmp(hash, mine, sizeof hash) == 0) {
			audit_record(jt->store, c.user.id, c.user.email, "session.ended",
				     req->client_ip, true, "own current session");
			session_end(req);
			http_redirect(req, 303, "/login");
			return;
		}
	} else {
		account_page(req, JT_EINVAL, &c, NULL, "Unknown action.", NULL);
		return;
	}
	audit_record(jt->store, c.user.id, c.user.email, "session.ended", req->client_ip,
		     st == JT_OK, "%s",
		     strcmp(action, "end") == 0 ? "one session" : "every other session");
	if (st == JT_OK)
		account_page(req, JT_OK, &c, done, NULL, NULL);
	else
		account_page(req, st, &c, NULL,
			     st == JT_ENOTFOUND
				     ? "There is no such session of yours."
				     : "The sessions could not be signed out; try again.",
			     NULL);
}
