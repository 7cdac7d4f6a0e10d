/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/token/format.c, token_parse on any bytes (no NUL
 * after them, so ASan sees any read past s_len). Checks: a token parses
 * only at TOKEN_LEN bytes, as a known kind; changing any one character of
 * a valid token makes it invalid or a checksum mismatch (CRC32 catches
 * every change within 32 bits), never another valid token. */
#include "token/token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum token_kind kind = TOKEN_NONE;
	enum jt_status st = token_parse((const char *)data, size, &kind);
	if (st != JT_OK)
		return 0;
	if (size != TOKEN_LEN || kind == TOKEN_NONE || !token_kind_name(kind))
		abort();

	char copy[TOKEN_LEN];
	for (size_t i = 0; i < TOKEN_LEN; i++) {
		memcpy(copy, data, TOKEN_LEN);
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		enum token_kind k2;
		if (token_parse(copy, TOKEN_LEN, &k2) == JT_OK)
			abort(); /* one changed character went unnoticed */
	}
	return 0;
}
