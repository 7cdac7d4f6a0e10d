/* SPDX-License-Identifier: MIT */
/* The HTML builder: text is escaped by default; only literals go raw. */
#include "console/console.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

void html_init(struct html *h)
{
	memset(h, 0, sizeof *h);
}

static void append(struct html *h, const char *s, size_t n)
{
	if (h->failed)
		return;
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		while (cap < h->len + n + 1)
			cap *= 2;
		if (cap > HTML_MAX_BYTES) {
			h->failed = true;
			return;
		}
		char *grown = jt_realloc(h->buf, cap);
		if (!grown) {
			h->failed = true;
			return;
		}
		h->buf = grown;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

void html_raw(struct html *h, const char *markup)
{
	append(h, markup, strlen(markup));
}

void html_text(struct html *h, const char *text)
{
	const char *run = text;
	for (const char *p = text; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		append(h, run, (size_t)(p - run));
		html_raw(h, rep);
		run = p + 1;
	}
	html_raw(h, run);
}

void html_int(struct html *h, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	html_raw(h, buf);
}

char *html_take(struct html *h, size_t *len)
{
	char *out = h->failed ? NULL : h->buf;
	*len = out ? h->len : 0;
	if (!out)
		jt_free(h->buf);
	html_init(h);
	return out;
}

void html_free(struct html *h)
{
	jt_free(h->buf);
	html_init(h);
}

void page_begin(struct html *h, const char *title, const struct user *user, const char *csrf)
{
	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>");
	html_text(h, title);
	html_raw(h, " · jeton</title><link rel=\"stylesheet\" href=\"/static/jeton.css\">"
		    "<script src=\"/static/jeton.js\" defer></script></head><body>"
		    "<header class=\"top\"><a class=\"brand\" href=\"/console\">jeton</a>");
	if (user) {
		html_raw(h, "<form method=\"post\" action=\"/logout\" class=\"who\"><span>");
		html_text(h, user->email);
		html_raw(h, "</span><input type=\"hidden\" name=\"csrf\" value=\"");
		html_text(h, csrf ? csrf : "");
		html_raw(h, "\"><button type=\"submit\" class=\"link\">Log out</button></form>");
	}
	html_raw(h, "</header><main>");
}

void page_end(struct html *h)
{
	html_raw(h, "</main></body></html>\n");
}

void page_send(struct http_req *req, int status, struct html *h)
{
	size_t len;
	char *doc = html_take(h, &len);
	http_reply_html(req, status, doc, len);
}
