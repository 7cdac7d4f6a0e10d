/* SPDX-License-Identifier: MIT */
/* Validation of names and emails, strict integer parsing. */
#include "util/text.h"
#include "util/limits.h"

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (well-formed, shortest form, no
 * surrogates), or 0 if it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned int cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

bool text_name_valid(const char *s, size_t s_len, size_t max_chars)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t chars = 0, i = 0;
	bool visible = false;

	while (i < s_len) {
		size_t n = utf8_seq(u + i, s_len - i);
		if (n == 0)
			return false;
		if (n == 1 && (u[i] < 0x20 || u[i] == 0x7F))
			return false;
		if (n == 2 && u[i] == 0xC2 && u[i + 1] <= 0x9F)
			return false; /* C1 controls, U+0080 to U+009F */
		if (u[i] != ' ')
			visible = true;
		i += n;
		if (++chars > max_chars)
			return false;
	}
	return chars > 0 && visible;
}

bool text_email_valid(const char *s, size_t s_len)
{
	size_t at = 0, ats = 0;
	if (s_len < 3 || s_len > LIMIT_EMAIL_BYTES)
		return false;
	for (size_t i = 0; i < s_len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' ||
		    c == '\\' || c == ',' || c == ';')
			return false;
		if (c == '@') {
			at = i;
			ats++;
		}
	}
	return ats == 1 && at > 0 && at < s_len - 1;
}

enum jt_status text_parse_i64(const char *s, size_t s_len, int64_t min, int64_t max,
			      int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (s_len > 0 && s[0] == '-' && min < 0) {
		neg = true;
		i = 1;
	}
	if (i == s_len || s_len - i > 19)
		return JT_EINVAL;
	for (; i < s_len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return JT_EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return JT_EINVAL;
	int64_t r = neg ? (int64_t)(0 - v) : (int64_t)v;
	if (r < min || r > max)
		return JT_EINVAL;
	*out = r;
	return JT_OK;
}

void text_default_name(const char *email, char *out, size_t out_len)
{
	snprintf(out, out_len, "%.*s", (int)strcspn(email, "@"), email);
}

size_t text_u64(uint64_t v, char *out)
{
	char digits[TEXT_U64_BUF];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[n - 1 - i];
	out[n] = '\0';
	return n;
}

size_t text_ipv4(const uint8_t addr[4], char *out)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			out[n++] = '.';
		n += text_u64(addr[i], out + n);
	}
	return n;
}
