/* SPDX-License-Identifier: MIT */
/* Pages for a browser, shared by the console and the consent page of
 * /oauth/authorize: HTML built safely, templates, the layout and the error
 * pages, and the browser's session and CSRF token.
 *
 * html.c      a page builder that escapes every value unless told otherwise
 * template.c  Mustache-like templates (src/web/templates/, embedded)
 * page.c      the layout, sending a page, the error page of a status
 * session.c   browser sessions (cookie -> store, hashed) and CSRF tokens */
#ifndef JETON_WEB_H
#define JETON_WEB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "http/http.h"
#include "store/store.h"

/* ---- html.c ---- */

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

/* ---- template.c ---- */

/* Renders the embedded template name (src/web/templates/) with data into
 * h; see template.c for the syntax. Values are escaped unless the template
 * uses {{&name}}. */
enum jt_status template_render(struct html *h, const char *name, const cJSON *data);

/* ---- page.c ---- */

#define CSRF_CHARS 32 /* a CSRF token (session.c) */

/* A page for a signed-in user: who, their CSRF token, what they hold (the
 * console fills it with console_begin; the consent page, user and csrf). */
struct page_ctx {
	struct user user;
	char csrf[CSRF_CHARS + 1];
	uint64_t instance; /* instance-wide permissions */
	uint64_t held;     /* instance-wide plus every space role's */
};

/* Sends h as the response, with st's HTTP status (http_status_of; JT_OK
 * is 200). Consumes h. */
void page_send(struct http_req *req, enum jt_status st, struct html *h);

/* Renders template with data (consumed) as the body of the layout and
 * sends it with st's HTTP status: JT_OK for a page, the failure's status
 * for a form shown again with its error. c: the signed-in user, or NULL.
 * section names the console's navigation tab to mark current (NULL: no
 * navigation); the layout and the template also see "csrf" and "user". */
void page_render(struct http_req *req, enum jt_status st, const char *title, const char *section,
		 const char *tmpl, cJSON *data, const struct page_ctx *c);
/* The error page for st: the one map from a status to a page.
 * Its heading says what st means ("Not found", "Not allowed",
 * "Unavailable", ...), message says why (NULL: st's own sentence), and the
 * HTTP status is http_status_of(st), as for every other reply. */
void page_fail(struct http_req *req, enum jt_status st, const char *message,
	       const struct page_ctx *c);

/* ---- session.c ---- */

/* Fills out with the signed-in user of the request; false when there is
 * no valid session or the user is disabled. */
bool session_user(struct http_req *req, struct user *out);
/* The store's key of the request's session cookie; false without one. */
bool session_hash(struct http_req *req, uint8_t out[STORE_HASH_LEN]);
/* Starts a session for user_id and sets its cookie. A pending one (the
 * password was right, the second factor is still to come) opens nothing
 * but the second factor's page, for 5 minutes. */
enum jt_status session_start(struct http_req *req, int64_t user_id, bool pending);
/* The user of the request's pending session (session_start); false without
 * one. */
bool session_pending_user(struct http_req *req, struct user *out);
/* Ends the request's session, if any, and clears the cookie. */
void session_end(struct http_req *req);
/* The CSRF token for this browser (the jeton_csrf cookie's value), set now
 * if the browser has none. */
void session_csrf(struct http_req *req, char out[CSRF_CHARS + 1]);
/* True if value matches this browser's CSRF cookie (constant time) and the
 * request's Origin, when sent, names this host (its Host header; for
 * "Origin: null", Sec-Fetch-Site must say same-origin when sent). */
bool session_csrf_ok(struct http_req *req, const char *value);

#endif
