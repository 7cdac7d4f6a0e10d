/* SPDX-License-Identifier: MIT */
/* The console: the management pages a person uses in a browser, and
 * /login and /logout. Its pages are built with src/web.
 *
 * console.c  the start of a signed-in console request; shared page pieces
 * login.c    /login and /logout, with throttled password checks
 * static.c   the stylesheet and script, served from the binary
 * home.c tokens.c authorizations.c policy.c inventory.c account.c spaces.c apps.c users.c audit.c
 *            one file per page */
#ifndef JETON_CONSOLE_H
#define JETON_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/http.h"
#include "store/store.h"
#include "web/web.h"

/* ---- console.c ---- */

/* Starts a console request: the signed-in user (else a redirect to the
 * login page), an admin check when need_admin (else a JT_EDENIED page), and
 * for every method but GET (HEAD arrives as GET) the CSRF and Origin check
 * (else a JT_EDENIED page). False when a reply is set. Handlers change
 * state only on POST. */
bool console_begin(struct http_req *req, bool need_admin, struct page_ctx *c);

/* The console's shared page pieces: a time added to o under key as
 * "2026-11-23 19:27 UTC" (none when t is 0; it replaces one already there);
 * a page showing a secret once (marked with http_secret, so
 * that every copy of the page is wiped; the caller wipes its own); a
 * confirmation page whose form posts back to the request's path. */
void console_add_time(cJSON *o, const char *key, int64_t t, const char *none);
void console_secret_page(struct http_req *req, const struct page_ctx *c, const char *section,
			 const char *heading, const char *secret, const char *warning,
			 const char *hint, const char *back, cJSON *details);
void console_confirm(struct http_req *req, const struct page_ctx *c, const char *section,
		     const char *heading, const char *message, const char *button, bool danger,
		     const char *back);

/* ---- handlers ---- */
void console_login(struct http_req *req);
void console_logout(struct http_req *req);
/* GET, POST /login/2fa: the second factor after the password. */
void console_login_2fa(struct http_req *req);
void console_home(struct http_req *req);
void console_static(struct http_req *req);
void console_favicon(struct http_req *req);
void console_root(struct http_req *req); /* /: the console, or where things are */
void console_tokens(struct http_req *req);
void console_token_revoke(struct http_req *req);
void console_token_rotate(struct http_req *req);
void console_authorizations(struct http_req *req);
void console_authorization_revoke(struct http_req *req);
void console_policy(struct http_req *req);
void console_inventory(struct http_req *req);
void console_inventory_revoke(struct http_req *req);
void console_account(struct http_req *req);
/* The Account page, with a notice or an error of its two-factor section
 * (twofactor.c). */
void console_account_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			  const char *notice, const char *error);
/* GET, POST /console/account/2fa (action=begin|confirm|disable|recovery) and its
 * QR code, GET /console/account/2fa/qr.svg (twofactor.c). */
void console_totp(struct http_req *req);
void console_totp_qr(struct http_req *req);
/* POST /console/account/sessions: action=end (session=its key) or end_others. */
void console_account_sessions(struct http_req *req);
/* POST /console/users/{id}/password_reset: a one-time password, shown once. */
void console_user_password_reset(struct http_req *req);
/* POST /console/users/{id}/two_factor_reset: removes a user's second factor. */
void console_user_two_factor_reset(struct http_req *req);
void console_spaces(struct http_req *req);
void console_space(struct http_req *req);
void console_space_members(struct http_req *req);
void console_space_member_remove(struct http_req *req);
void console_apps(struct http_req *req);
void console_app_new(struct http_req *req);
void console_app(struct http_req *req);
void console_app_secret(struct http_req *req);
void console_app_delete(struct http_req *req);
void console_users(struct http_req *req);
void console_user(struct http_req *req);
void console_audit(struct http_req *req);

/* A safe local path to go to after login: starts with one '/', no
 * scheme, no backslash, no control characters. */
bool console_next_ok(const char *next);
/* A password check refused by the throttle: sets Retry-After and writes
 * the sentence to show into msg. */
void console_throttled(struct http_req *req, int retry_after, char *msg, size_t msg_len);

#endif
