/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/http/form.c, http_form_get and http_form_decode on any bytes.
 * The input is used as is (no NUL after it), so ASan sees any read past
 * s_len. Checks: an answer is always a NUL-terminated string inside the
 * buffer; JT_OK never overflows; a value found is what http_form_decode gives. */
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"a", "grant_type", "redirect_uri", "code", "", "a b", "%"};

static void check_string(const char *out, size_t out_len)
{
	if (!memchr(out, '\0', out_len))
		abort(); /* not a string within its buffer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[64], big[4096];

	/* http_form_decode of the whole input, into a small and a large buffer. */
	enum jt_status st = http_form_decode(s, size, out, sizeof out);
	if (st == JT_OK) {
		check_string(out, sizeof out);
		if (strlen(out) > size)
			abort(); /* decoding never grows */
	}
	enum jt_status st_big = http_form_decode(s, size, big, sizeof big);
	if (st_big == JT_OK) {
		check_string(big, sizeof big);
		/* What fits in the small buffer decodes the same in the big one. */
		if (st == JT_OK && strcmp(out, big) != 0)
			abort();
	} else if (st == JT_OK) {
		abort(); /* fits in 64 bytes but not in 4096 */
	}

	/* http_form_get for fixed keys and for a key taken from the input. */
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		st = http_form_get(s, size, keys[i], out, sizeof out);
		if (st == JT_OK)
			check_string(out, sizeof out);
		st = http_form_get(s, size, keys[i], big, 1);
		if (st == JT_OK && big[0] != '\0')
			abort(); /* a 1-byte buffer holds only "" */
	}
	/* The first pair's key, decoded, must be found (or be a repeat, bad
	 * encoding or too long). */
	const char *amp = memchr(s, '&', size);
	size_t pair = amp ? (size_t)(amp - s) : size;
	const char *eq = memchr(s, '=', pair);
	size_t key_len = eq ? (size_t)(eq - s) : pair;
	char key[64];
	if (key_len > 0 && http_form_decode(s, key_len, key, sizeof key) == JT_OK) {
		st = http_form_get(s, size, key, big, sizeof big);
		if (st == JT_ENOTFOUND)
			abort(); /* the first key is there */
		if (st == JT_OK) {
			check_string(big, sizeof big);
			/* The value is http_form_decode of the text after '='. */
			char again[4096];
			const char *v = eq ? eq + 1 : s + pair;
			size_t v_len = eq ? pair - key_len - 1 : 0;
			if (http_form_decode(v, v_len, again, sizeof again) != JT_OK || strcmp(again, big) != 0)
				abort();
		}
	}
	return 0;
}
