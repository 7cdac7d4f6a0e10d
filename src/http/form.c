/* SPDX-License-Identifier: MIT */
/* Decoding of application/x-www-form-urlencoded data, with no I/O and a
 * cap on every value. */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum jt_status http_form_decode(const char *s, size_t s_len, char *out, size_t out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < s_len; i++) {
		char c = s[i];
		if (c == '\0')
			return JT_EINVAL; /* a raw NUL would silently cut the value */
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= s_len)
				return JT_EINVAL;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return JT_EINVAL;
			c = (char)(hi * 16 + lo);
			if (c == '\0')
				return JT_EINVAL;
			i += 2;
		}
		if (o + 1 >= out_len)
			return JT_ETOOBIG;
		out[o++] = c;
	}
	out[o] = '\0';
	return JT_OK;
}

enum jt_status http_form_get(const char *s, size_t s_len, const char *key, char *out,
			size_t out_len)
{
	size_t key_len = strlen(key);
	size_t i = 0;
	enum jt_status found = JT_ENOTFOUND;
	char name[64];

	while (i < s_len) {
		size_t start = i;
		while (i < s_len && s[i] != '&')
			i++;
		const char *pair = s + start;
		size_t pair_len = i - start;
		const char *eq = memchr(pair, '=', pair_len);
		size_t name_len = eq ? (size_t)(eq - pair) : pair_len;
		i++; /* skip '&' */
		if (pair_len == 0)
			continue;
		if (http_form_decode(pair, name_len, name, sizeof name) != JT_OK)
			continue; /* a name we do not know can be anything */
		if (strlen(name) != key_len || memcmp(name, key, key_len) != 0)
			continue;
		if (found == JT_OK)
			return JT_EINVAL;
		const char *val = eq ? eq + 1 : pair + pair_len;
		size_t val_len = eq ? pair_len - name_len - 1 : 0;
		enum jt_status st = http_form_decode(val, val_len, out, out_len);
		if (st != JT_OK)
			return st;
		found = JT_OK;
	}
	return found;
}

/* Appends "&key=percent-encoded value" (or '?' first) to url. */
bool http_url_add(char *url, size_t url_len, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = strlen(url), used = start;
	char sep = strchr(url, '?') ? '&' : '?';
	int n = snprintf(url + used, url_len - used, "%c%s=", sep, key);
	if (n < 0 || (size_t)n >= url_len - used)
		goto too_long;
	used += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			     *p == '~';
		if (used + (plain ? 1 : 3) >= url_len)
			goto too_long;
		if (plain) {
			url[used++] = (char)*p;
		} else {
			url[used++] = '%';
			url[used++] = hex[*p >> 4];
			url[used++] = hex[*p & 15];
		}
	}
	url[used] = '\0';
	return true;
too_long:
	url[start] = '\0'; /* unchanged */
	return false;
}

void http_form_field(struct http_req *req, const char *key, char *out, size_t out_len)
{
	if (http_form_get(req->body, req->body_len, key, out, out_len) != JT_OK)
		out[0] = '\0';
}
