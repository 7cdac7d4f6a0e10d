/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/auth/header.c and src/token/format.c. The input is
 * an Authorization header value (made a string: it stops at a NUL); the
 * token found is checked with token_parse, and the raw input too. Checks:
 * the token lies inside the value and is non-empty, no reads past it. */
#include "auth/auth.h"
#include "token/token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum token_kind kind;
	/* token_parse needs no NUL: the bytes as they are. */
	enum jt_status st = token_parse((const char *)data, size, &kind);
	if (st == JT_OK && size != TOKEN_LEN)
		abort();
	(void)auth_looks_like_jwt((const char *)data, size);

	char *value = malloc(size + 1);
	if (!value)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	const char *token = NULL;
	size_t token_len = 0;
	enum auth_result r = auth_parse_header(value, &token, &token_len);
	if (r == AUTH_OK) {
		size_t n = strlen(value);
		if (!token || token_len == 0 || token < value || token + token_len > value + n)
			abort();
		/* Exactly the token's bytes, in a buffer of their own. */
		char *copy = malloc(token_len);
		if (copy) {
			memcpy(copy, token, token_len);
			st = token_parse(copy, token_len, &kind);
			if (st == JT_OK && token_len != TOKEN_LEN)
				abort();
			(void)auth_looks_like_jwt(copy, token_len);
			free(copy);
		}
	} else if (r != AUTH_MISSING && r != AUTH_SCHEME && r != AUTH_MALFORMED) {
		abort(); /* parsing a header gives no other answer */
	}
	free(value);
	return 0;
}
