/* SPDX-License-Identifier: MIT */
/* The console's frame: who is signed in, the navigation, and rendering a
 * page's template inside the layout. */
#include "console/console.h"
#include "server/server.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *section;
	const char *href;
	const char *label;
	bool admin;
} nav_items[] = {
	{"tokens", "/console/tokens", "My tokens", false},
	{"spaces", "/console/spaces", "Spaces", false},
	{"apps", "/console/apps", "Apps", true},
	{"users", "/console/users", "Users", true},
	{"audit", "/console/audit", "Audit log", true},
	{"account", "/console/account", "Account", false},
};

bool console_begin(struct http_req *req, bool need_admin, struct console_ctx *c)
{
	char login[LIMIT_URL_BYTES * 3 + 32];
	memset(c, 0, sizeof *c);
	if (!session_user(req, &c->user)) {
		/* Back to this page after login; only for GET, a POST is replayed by nobody. */
		const char *path = req->method == HTTP_GET && console_next_ok(req->path)
					   ? req->path
					   : "/console";
		snprintf(login, sizeof login, "/login");
		http_url_add(login, sizeof login, "next", path); /* percent-encoded */
		http_redirect(req, 303, login);
		return false;
	}
	session_csrf(req, c->csrf);
	enum jt_status st =
		auth_user_permissions(jeton_of(req)->store, &c->user, &c->instance, &c->held);
	if (st != JT_OK) {
		page_fail(req, st, NULL, c);
		return false;
	}
	if (need_admin && !c->user.admin) {
		page_fail(req, JT_EDENIED, "This page is for the instance's administrators.", c);
		return false;
	}
	/* Everything but a read proves it came from our own form. */
	if (req->method != HTTP_GET) {
		char csrf[CSRF_CHARS + 8];
		http_form_field(req, "csrf", csrf, sizeof csrf);
		if (!session_csrf_ok(req, csrf)) {
			page_fail(
				req, JT_EDENIED,
				"This form expired or came from another site. Go back, reload and "
				"try again.",
				c);
			return false;
		}
	}
	return true;
}

void page_render(struct http_req *req, enum jt_status st, const char *title, const char *section,
		 const char *tmpl, cJSON *data, const struct console_ctx *c)
{
	struct html body, page;
	size_t body_len;
	cJSON *layout = cJSON_CreateObject();

	if (!data)
		data = cJSON_CreateObject();
	if (c && data) {
		cJSON_AddStringToObject(data, "csrf", c->csrf);
		cJSON *u = cJSON_AddObjectToObject(data, "user");
		cJSON_AddStringToObject(u, "email", c->user.email);
		cJSON_AddBoolToObject(u, "admin", c->user.admin);
	}
	html_init(&body);
	tmpl_render(&body, tmpl, data);
	char *inner = html_take(&body, &body_len);

	cJSON_AddStringToObject(layout, "title", title);
	cJSON_AddStringToObject(layout, "body", inner ? inner : "");
	if (c) {
		cJSON_AddStringToObject(layout, "csrf", c->csrf);
		cJSON *u = cJSON_AddObjectToObject(layout, "user");
		cJSON_AddStringToObject(u, "email", c->user.email);
		cJSON *nav = cJSON_AddArrayToObject(layout, "nav");
		for (size_t i = 0; nav && section && i < sizeof nav_items / sizeof nav_items[0];
		     i++) {
			if (nav_items[i].admin && !c->user.admin)
				continue;
			cJSON *item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "href", nav_items[i].href);
			cJSON_AddStringToObject(item, "label", nav_items[i].label);
			cJSON_AddBoolToObject(item, "current",
					      section &&
						      strcmp(section, nav_items[i].section) == 0);
			cJSON_AddItemToArray(nav, item);
		}
		cJSON_AddBoolToObject(layout, "has_nav", section != NULL);
	}
	html_init(&page);
	if (inner)
		tmpl_render(&page, "layout.html", layout);
	else
		page.failed = true;
	/* A page may show a secret (console_secret_page marks it): wipe every
	 * copy we made; the page itself is wiped when the server frees it. */
	if (inner)
		crypto_wipe(inner, body_len);
	jt_free(inner);
	if (req->secret) {
		secret_json_delete(layout);
		secret_json_delete(data);
	} else {
		cJSON_Delete(layout);
		cJSON_Delete(data);
	}
	page_send(req, st, &page);
}

/* What the console says for a status: the page's heading, and the
 * sentence when the caller has none. The HTTP status is http_status_of's. */
struct page_words {
	const char *heading;
	const char *sentence;
};

static struct page_words words_of(enum jt_status st)
{
	switch (st) {
	case JT_OK:
		return (struct page_words){"Done", "Done."};
	case JT_EINVAL:
	case JT_ECHECKSUM:
	case JT_ETOOBIG:
		return (struct page_words){"Invalid request", "The request is not valid."};
	case JT_EAUTH:
		return (struct page_words){"Not signed in", "Sign in first."};
	case JT_EDENIED:
		return (struct page_words){"Not allowed", "You may not do this."};
	case JT_ENOTFOUND:
		return (struct page_words){"Not found", "There is no such page."};
	case JT_ECONFLICT:
		return (struct page_words){"Not possible",
					   "This is not possible in its current state."};
	case JT_ETHROTTLED:
		return (struct page_words){"Too many attempts",
					   "Too many attempts; try again later."};
	case JT_ESTORE:
	case JT_EIO:
		return (struct page_words){"Unavailable",
					   "The service is unavailable; try again shortly."};
	case JT_ENOMEM:
		break;
	}
	return (struct page_words){"Error", "The server could not complete the request."};
}

void page_fail(struct http_req *req, enum jt_status st, const char *message,
	       const struct console_ctx *c)
{
	struct page_words w = words_of(st);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", w.heading);
	cJSON_AddStringToObject(d, "message", message ? message : w.sentence);
	cJSON_AddBoolToObject(d, "error", st != JT_OK);
	page_render(req, st, w.heading, NULL, "message.html", d, c);
}

void console_time(int64_t t, const char *none, char out[32])
{
	if (!t) {
		snprintf(out, 32, "%s", none);
		return;
	}
	char iso[TIME_RFC3339_BUF];
	time_format(t, iso);
	/* "2026-11-23T19:27:42Z" -> "2026-11-23 19:27 UTC" */
	snprintf(out, 32, "%.10s %.5s UTC", iso, iso + 11);
}

void console_secret_page(struct http_req *req, const struct console_ctx *c, const char *section,
			 const char *heading, const char *secret, const char *warning,
			 const char *hint, const char *back, cJSON *details)
{
	http_secret(req);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", heading);
	cJSON_AddStringToObject(d, "secret", secret);
	cJSON_AddStringToObject(d, "warning", warning);
	if (hint)
		cJSON_AddStringToObject(d, "hint", hint);
	cJSON_AddStringToObject(d, "back", back);
	if (details)
		cJSON_AddItemToObject(d, "details", details);
	page_render(req, JT_OK, heading, section, "secret.html", d, c);
}

void console_confirm(struct http_req *req, const struct console_ctx *c, const char *section,
		     const char *heading, const char *message, const char *button, bool danger,
		     const char *back)
{
	char action[LIMIT_URL_BYTES + 1];
	snprintf(action, sizeof action, "%s", req->path);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", heading);
	cJSON_AddStringToObject(d, "message", message);
	cJSON_AddStringToObject(d, "button", button);
	cJSON_AddBoolToObject(d, "danger", danger);
	cJSON_AddStringToObject(d, "action", action);
	cJSON_AddStringToObject(d, "back", back);
	page_render(req, JT_OK, heading, section, "confirm.html", d, c);
}
