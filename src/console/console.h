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
/* Appends n bytes of trusted markup. */
void html_rawn(struct html *h, const char *markup, size_t n);
/* Appends text, escaped for element content and quoted attributes. */
void html_text(struct html *h, const char *text);
void html_int(struct html *h, int64_t v);
/* The document and its length; the caller owns it (jt_free). NULL if any
 * append failed. Leaves h empty. */
char *html_take(struct html *h, size_t *len);
void html_free(struct html *h);

/* Sends h as the response, with st's HTTP status (http_status_of; JT_OK
 * is 200). Consumes h. */
void page_send(struct http_req *req, enum jt_status st, struct html *h);

/* ---- template.c ---- */

/* Renders the embedded template name (src/console/templates/) with data
 * into h; see template.c for the syntax. Values are escaped unless the
 * template uses {{&name}}. */
enum jt_status tmpl_render(struct html *h, const char *name, const cJSON *data);

/* ---- page.c ---- */

/* A signed-in console request: who, their CSRF token, what they hold. */
struct console_ctx {
	struct user user;
	char csrf[32 + 1];
	uint64_t instance; /* instance-wide permissions */
	uint64_t held;     /* instance-wide plus every space role's */
};

/* Starts a console request: the signed-in user (else a redirect to the
 * login page), an admin check when need_admin (else a JT_EDENIED page), and
 * for every method but GET (HEAD arrives as GET) the CSRF and Origin check
 * (else a JT_EDENIED page). False when a reply is set. Handlers change
 * state only on POST. */
bool console_begin(struct http_req *req, bool need_admin, struct console_ctx *c);

/* Renders template with data (consumed) as the body of the console layout
 * and sends it with st's HTTP status: JT_OK for a page, the failure's status
 * for a form shown again with its error. section names the navigation tab
 * to mark current; the layout and the template also see "csrf" and "user". */
void page_render(struct http_req *req, enum jt_status st, const char *title, const char *section,
		 const char *tmpl, cJSON *data, const struct console_ctx *c);
/* The error page for st: the console's one map from a status to a page.
 * Its heading says what st means ("Not found", "Not allowed",
 * "Unavailable", ...), message says why (NULL: st's own sentence), and the
 * HTTP status is http_status_of(st), as for every other reply. */
void page_fail(struct http_req *req, enum jt_status st, const char *message,
	       const struct console_ctx *c);

/* Shared page pieces (page.c): a time as "2026-11-23 19:27 UTC" (none
 * when t is 0); a page showing a secret once (marked with http_secret, so
 * that every copy of the page is wiped; the caller wipes its own); a
 * confirmation page whose form posts back to the request's path. */
void console_time(int64_t t, const char *none, char out[32]);
void console_secret_page(struct http_req *req, const struct console_ctx *c, const char *section,
			 const char *heading, const char *secret, const char *warning,
			 const char *hint, const char *back, cJSON *details);
void console_confirm(struct http_req *req, const struct console_ctx *c, const char *section,
		     const char *heading, const char *message, const char *button, bool danger,
		     const char *back);

/* ---- session.c ---- */

#define CSRF_CHARS 32

/* Fills out with the signed-in user of the request; false when there is
 * no valid session or the user is disabled. */
bool session_user(struct http_req *req, struct user *out);
/* The store's key of the request's session cookie; false without one. */
bool session_hash(struct http_req *req, uint8_t out[STORE_HASH_LEN]);
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

/* ---- handlers ---- */
void console_login(struct http_req *req);
void console_logout(struct http_req *req);
void console_home(struct http_req *req);
void console_static(struct http_req *req);
void console_tokens(struct http_req *req);
void console_token_revoke(struct http_req *req);
void console_token_rotate(struct http_req *req);
void console_account(struct http_req *req);
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
