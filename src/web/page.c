/* SPDX-License-Identifier: MIT */
/* Pages: a template rendered inside the layout (the site's header, who is
 * signed in, the console's navigation), the error page of a status, and
 * sending a page with its status. */
#include "web/web.h"
#include "crypto/crypto.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

/* The console's sections, the layout's navigation when a page names one. */
static const struct {
	const char *section;
	const char *href;
	const char *label;
	bool admin;
} nav_items[] = {
	{"tokens", "/console/tokens", "My tokens", false},
	{"authorizations", "/console/authorizations", "Authorized apps", false},
	{"spaces", "/console/spaces", "Spaces", false},
	{"apps", "/console/apps", "Apps", true},
	{"users", "/console/users", "Users", true},
	{"all_tokens", "/console/all-tokens", "All tokens", true},
	{"audit", "/console/audit", "Audit log", true},
	{"policy", "/console/policy", "Policy", true},
	{"account", "/console/account", "Account", false},
};

void page_render(struct http_req *req, enum jt_status st, const char *title, const char *section,
		 const char *tmpl, cJSON *data, const struct page_ctx *c)
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
	template_render(&body, tmpl, data);
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
		template_render(&page, "layout.html", layout);
	else
		page.failed = true;
	/* A page may show a secret (marked with http_secret): wipe every
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

/* What a page says for a status: its heading, and the
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
	       const struct page_ctx *c)
{
	struct page_words w = words_of(st);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", w.heading);
	cJSON_AddStringToObject(d, "message", message ? message : w.sentence);
	cJSON_AddBoolToObject(d, "error", st != JT_OK);
	page_render(req, st, w.heading, NULL, "message.html", d, c);
}

void page_send(struct http_req *req, enum jt_status st, struct html *h)
{
	size_t len;
	char *doc = html_take(h, &len);
	http_reply_html(req, http_status_of(st), doc, len);
}
