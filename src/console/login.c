/* SPDX-License-Identifier: MIT */
/* /login and /logout. The password check (argon2id) runs on a slow-work
 * thread, after the attempt is reserved with the throttle (per account and
 * per address); the message never says whether the account exists. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_NEXT "/console"

bool console_next_ok(const char *next)
{
	size_t n = strlen(next);
	if (n == 0 || n > LIMIT_URL_BYTES || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)next[i] < 0x20 || next[i] == '\\' || next[i] == 0x7F)
			return false;
	return true;
}

void console_throttled(struct http_req *req, int retry_after, char *msg, size_t msg_len)
{
	http_retry_after(req, retry_after);
	snprintf(msg, msg_len, "Too many failed attempts. Try again in %d second%s.", retry_after,
		 retry_after == 1 ? "" : "s");
}

/* A sign-in form (the password's or the second factor's), with what the
 * person typed and why it was refused. */
static void signin_page(struct http_req *req, enum jt_status status, const char *title,
			const char *tmpl, const char *email, const char *next, const char *error)
{
	char csrf[CSRF_CHARS + 1];
	cJSON *d = cJSON_CreateObject();
	session_csrf(req, csrf);
	cJSON_AddStringToObject(d, "csrf", csrf);
	cJSON_AddStringToObject(d, "next", next);
	cJSON_AddStringToObject(d, "email", email);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, title, NULL, tmpl, d, NULL);
}

static void login_page(struct http_req *req, enum jt_status status, const char *email,
		       const char *next, const char *error)
{
	signin_page(req, status, "Log in", "login.html", email, next, error);
}

/* A login in flight between the serving thread and the slow-work thread. */
struct login {
	char email[LIMIT_EMAIL_BYTES + 1];
	char password[LIMIT_PASSWORD_MAX + 1];
	char next[LIMIT_URL_BYTES + 1];
	struct throttle_ticket ticket;
	struct user user;
	bool second_factor; /* the user signs in with a code too */
	enum jt_status status;
};

static void login_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct login));
	jt_free(ctx);
}

static void login_work(struct http_req *req)
{
	struct login *l = req->ctx;
	struct store *st = jeton_of(req)->store;
	l->status = auth_check_password(st, l->email, l->password, &l->user);
	crypto_wipe(l->password, sizeof l->password);
	if (l->status == JT_OK)
		l->status = auth_totp_enabled(st, l->user.id, &l->second_factor);
}

/* Where a signed-in user goes first: a one-time password is changed
 * before anything else, then a user the policy makes use two-factor
 * sign-in enrols, whatever next asked for; then next. */
static const char *first_page(struct http_req *req, const struct user *u, const char *next)
{
	if (u->password_must_change)
		return "/console/account";
	if (auth_totp_must_enrol(jeton_of(req)->store, u))
		return "/console/account/2fa";
	return next;
}

static void login_done(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct login *l = req->ctx;

	enum jt_status st = l->status;
	if (st == JT_OK)
		throttle_release(jt->throttle, &l->ticket, l->email, req->client_ip);
	if (st == JT_OK)
		st = session_start(req, l->user.id, l->second_factor);
	if (st == JT_OK && l->second_factor) {
		/* The password was right; the session opens with the code. */
		char to[LIMIT_URL_BYTES * 3 + 32] = "/login/2fa";
		http_url_add(to, sizeof to, "next", l->next);
		http_redirect(req, 303, to);
	} else if (st == JT_OK) {
		audit_record(jt->store, l->user.id, l->user.email, "login.succeeded",
			     req->client_ip, true, "session");
		http_redirect(req, 303, first_page(req, &l->user, l->next));
	} else if (st == JT_ENOTFOUND) { /* auth_check_password: no such email and password */
		audit_record(jt->store, 0, l->email, "login.failed", req->client_ip, false,
			     "wrong email or password");
		login_page(req, JT_EAUTH, l->email, l->next,
			   "The email or the password is incorrect.");
	} else {
		login_page(req, st, l->email, l->next,
			   "You could not be signed in; try again shortly.");
	}
	login_destroy(l);
	req->ctx = NULL;
}

static void login_post(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	char csrf[CSRF_CHARS + 8];
	struct login *l = jt_calloc(1, sizeof *l);
	if (!l) {
		http_reply_status(req, JT_ENOMEM, "login");
		return;
	}
	http_form_field(req, "csrf", csrf, sizeof csrf);
	http_form_field(req, "email", l->email, sizeof l->email);
	http_form_field(req, "password", l->password, sizeof l->password);
	http_form_field(req, "next", l->next, sizeof l->next);
	if (!console_next_ok(l->next))
		memcpy(l->next, DEFAULT_NEXT, sizeof DEFAULT_NEXT);

	if (!session_csrf_ok(req, csrf)) {
		login_page(req, JT_EDENIED, l->email, l->next,
			   "Your form expired or came from another site. Please try again.");
	} else if (!l->email[0] || !l->password[0]) {
		login_page(req, JT_EINVAL, l->email, l->next,
			   "Enter your email and your password.");
	} else if (!throttle_reserve(jt->throttle, l->email, req->client_ip, time_now_ms(),
				     &l->ticket)) {
		if (l->ticket.report)
			audit_record(jt->store, 0, l->email, "login.failed", req->client_ip, false,
				     "throttled");
		char wait[96];
		console_throttled(req, l->ticket.retry_after, wait, sizeof wait);
		login_page(req, JT_ETHROTTLED, l->email, l->next, wait);
	} else {
		http_set_ctx(req, l, login_destroy);
		http_defer(req, login_work, login_done);
		return;
	}
	crypto_wipe(l, sizeof *l);
	jt_free(l);
}

void console_login(struct http_req *req)
{
	struct user u;
	const char *next = http_query(req, "next");
	if (!next || !console_next_ok(next))
		next = DEFAULT_NEXT;
	if (req->method == HTTP_POST) {
		login_post(req);
		return;
	}
	if (session_user(req, &u)) {
		http_redirect(req, 303, next);
		return;
	}
	login_page(req, JT_OK, "", next, NULL);
}

void console_logout(struct http_req *req)
{
	char csrf[CSRF_CHARS + 8];
	http_form_field(req, "csrf", csrf, sizeof csrf);
	if (!session_csrf_ok(req, csrf)) {
		http_reply_fail(req, JT_EDENIED, "The logout form is not valid.");
		return;
	}
	session_end(req);
	http_redirect(req, 303, "/login");
}

static void second_factor_page(struct http_req *req, enum jt_status status, const char *email,
			       const char *next, const char *error)
{
	signin_page(req, status, "Two-factor sign-in", "login_2fa.html", email, next, error);
}

/* POST /login/2fa: the code that turns a pending session into a session.
 * Wrong codes are throttled per account and address like passwords. */
static void second_factor_post(struct http_req *req, const struct user *u, const char *next)
{
	struct jeton *jt = jeton_of(req);
	char csrf[CSRF_CHARS + 8], code[40], account[LIMIT_EMAIL_BYTES + 8];
	struct throttle_ticket ticket;
	uint8_t pending[STORE_HASH_LEN];
	bool recovery;
	http_form_field(req, "csrf", csrf, sizeof csrf);
	http_form_field(req, "code", code, sizeof code);
	snprintf(account, sizeof account, "2fa:%s", u->email);
	if (!session_csrf_ok(req, csrf)) {
		second_factor_page(
			req, JT_EDENIED, u->email, next,
			"Your form expired or came from another site. Please try again.");
		return;
	}
	if (!throttle_reserve(jt->throttle, account, req->client_ip, time_now_ms(), &ticket)) {
		if (ticket.report)
			audit_record(jt->store, u->id, u->email, "login.failed", req->client_ip,
				     false, "second factor throttled");
		char wait[96];
		console_throttled(req, ticket.retry_after, wait, sizeof wait);
		second_factor_page(req, JT_ETHROTTLED, u->email, next, wait);
		return;
	}
	enum jt_status st = auth_second_factor(jt->store, jt->keys, u->id, code, &recovery);
	crypto_wipe(code, sizeof code);
	if (st == JT_OK) {
		throttle_release(jt->throttle, &ticket, account, req->client_ip);
		if (session_hash(req, pending))
			store_session_delete(jt->store, pending);
		st = session_start(req, u->id, false);
	}
	if (st == JT_OK) {
		audit_record(jt->store, u->id, u->email, "login.succeeded", req->client_ip, true,
			     "session, second factor: %s", recovery ? "recovery code" : "app");
		http_redirect(req, 303, first_page(req, u, next));
	} else if (st == JT_ENOTFOUND || st == JT_ECONFLICT) {
		audit_record(
			jt->store, u->id, u->email, "login.failed", req->client_ip, false, "%s",
			st == JT_ECONFLICT ? "second factor code replayed" : "wrong second factor");
		second_factor_page(req, JT_EAUTH, u->email, next,
				   st == JT_ECONFLICT
					   ? "This code was used already. Wait for the next one."
					   : "The code is not right.");
	} else {
		second_factor_page(req, st, u->email, next,
				   "You could not be signed in; try again shortly.");
	}
}

void console_login_2fa(struct http_req *req)
{
	struct user u;
	char next[LIMIT_URL_BYTES + 1] = DEFAULT_NEXT;
	const char *q = http_query(req, "next");
	if (req->method == HTTP_POST)
		http_form_field(req, "next", next, sizeof next);
	else if (q)
		snprintf(next, sizeof next, "%s", q);
	if (!console_next_ok(next))
		snprintf(next, sizeof next, "%s", DEFAULT_NEXT);
	if (!session_pending_user(req, &u)) {
		http_redirect(req, 303, "/login");
		return;
	}
	if (req->method == HTTP_POST)
		second_factor_post(req, &u, next);
	else
		second_factor_page(req, JT_OK, u.email, next, NULL);
}
