/* SPDX-License-Identifier: MIT */
/* Server-rendered HTML: the login, the consent page of /oauth/authorize and
 * the console.
 *
 * html.c     a page builder that escapes every value unless told otherwise
 * session.c  browser sessions (cookie -> store, hashed) and CSRF tokens
 * login.c    /login and /logout, with throttled password checks
 * static.c   the stylesheet and script, served from the binary */
#ifndef JETON_CONSOLE_H
#define JETON_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/http.h"
#include "store/store.h"

#define HTML_MAX_BYTES (1024 * 1024) /* a page larger than this is an error */

/* A growing HTML document. After an allocation failure or overflow every
 * call is a no-op and html_take returns NULL. */
struct html {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

void html_init(struct html *h);
/* Appends trusted markup, as is. Never pass user data here. */
void html_raw(struct html *h, const char *markup);
/* Appends text, escaped for element content and quoted attributes. */
void html_text(struct html *h, const char *text);
void html_int(struct html *h, int64_t v);
/* The document and its length; the caller owns it (jt_free). NULL if any
 * append failed. Leaves h empty. */
char *html_take(struct html *h, size_t *len);
void html_free(struct html *h);

/* The page frame: doctype, head with the stylesheet, the top bar (with the
 * signed-in user's email and a logout form when user is not NULL). */
void page_begin(struct html *h, const char *title, const struct user *user, const char *csrf);
void page_end(struct html *h);
/* Sends h as the response (consumes h). */
void page_send(struct http_req *req, int status, struct html *h);

/* ---- session.c ---- */

#define CSRF_CHARS 32

/* Fills out with the signed-in user of the request; false when there is
 * no valid session or the user is disabled. */
bool session_user(struct http_req *req, struct user *out);
/* Starts a session for user_id and sets its cookie. */
enum jt_status session_start(struct http_req *req, int64_t user_id);
/* Ends the request's session, if any, and clears the cookie. */
void session_end(struct http_req *req);
/* The CSRF token for this browser (the jeton_csrf cookie's value), set now
 * if the browser has none. */
void session_csrf(struct http_req *req, char out[CSRF_CHARS + 1]);
/* True if value matches this browser's CSRF cookie (constant time) and the
 * request's Origin, when sent, is the issuer's. */
bool session_csrf_ok(struct http_req *req, const char *value);
/* Reads a field of an application/x-www-form-urlencoded request body;
 * "" when absent or too long. */
void form_field(struct http_req *req, const char *key, char *out, size_t out_len);

/* ---- handlers ---- */
void console_login(struct http_req *req);
void console_logout(struct http_req *req);
void console_home(struct http_req *req);
void console_static(struct http_req *req);

/* A safe local path to go to after login: starts with one '/', no
 * scheme, no backslash, no control characters. */
bool console_next_ok(const char *next);

#endif
