/* SPDX-License-Identifier: MIT */
/* The HTML builder: text is escaped by default; only literals go raw. */
#include "web/web.h"
#include "crypto/crypto.h"
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
		/* A page may show a secret: it grows by copying, and the copy it
		 * leaves is wiped (realloc would free it as it is). */
		char *grown = jt_alloc(cap);
		if (!grown) {
			h->failed = true;
			return;
		}
		if (h->buf) {
			memcpy(grown, h->buf, h->len + 1);
			crypto_wipe(h->buf, h->cap);
			jt_free(h->buf);
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

void html_rawn(struct html *h, const char *markup, size_t n)
{
	append(h, markup, n);
}

void html_text(struct html *h, const char *text)
{
	const char *run = text;
	for (const char *p = text; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
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
		html_free(h);
	html_init(h);
	return out;
}

void html_free(struct html *h)
{
	if (h->buf)
		crypto_wipe(h->buf, h->cap);
	jt_free(h->buf);
	html_init(h);
}
