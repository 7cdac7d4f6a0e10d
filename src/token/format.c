/* SPDX-License-Identifier: MIT */
/* Token generation and the checksum check that runs before any look-up. */
#include "token/token.h"
#include "crypto/crypto.h"

#include <string.h>
#include <zlib.h>

static const char base62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static const struct {
	enum token_kind kind;
	const char *prefix;
	const char *name;
} kinds[] = {
	{TOKEN_PAT, "jtp_", "pat"},
	{TOKEN_ACCESS, "jto_", "oauth"},
	{TOKEN_REFRESH, "jtr_", "refresh"},
	{TOKEN_CLIENT, "jtc_", "client"},
	{TOKEN_SECRET, "jts_", "client_secret"},
	{TOKEN_CODE, "jtk_", "code"},
};

static int base62_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* CRC32 of s as TOKEN_CHECKSUM_CHARS base62 digits, most significant first. */
static void checksum(const char *s, size_t s_len, char out[TOKEN_CHECKSUM_CHARS])
{
	uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)s, (uInt)s_len);
	for (int i = TOKEN_CHECKSUM_CHARS - 1; i >= 0; i--) {
		out[i] = base62[crc % 62];
		crc /= 62;
	}
}

void token_generate(enum token_kind kind, char out[TOKEN_LEN + 1])
{
	const char *prefix = "jtx_";
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == kind)
			prefix = kinds[i].prefix;
	memcpy(out, prefix, TOKEN_TYPE_CHARS);
	random_base62(out + TOKEN_TYPE_CHARS, TOKEN_RANDOM_CHARS);
	checksum(out, TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS,
		 out + TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS);
	out[TOKEN_LEN] = '\0';
}

enum jt_status token_shape(const char *s, size_t s_len, enum token_kind *kind)
{
	*kind = TOKEN_NONE;
	if (s_len != TOKEN_LEN)
		return JT_EINVAL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (memcmp(s, kinds[i].prefix, TOKEN_TYPE_CHARS) == 0)
			*kind = kinds[i].kind;
	if (*kind == TOKEN_NONE)
		return JT_EINVAL;
	for (size_t i = TOKEN_TYPE_CHARS; i < TOKEN_LEN; i++)
		if (base62_value(s[i]) < 0)
			return JT_EINVAL;
	return JT_OK;
}

enum jt_status token_parse(const char *s, size_t s_len, enum token_kind *kind)
{
	char sum[TOKEN_CHECKSUM_CHARS];

	enum jt_status st = token_shape(s, s_len, kind);
	if (st != JT_OK)
		return st;
	checksum(s, TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS, sum);
	/* Not secret: the checksum is computable from the token itself. */
	if (memcmp(sum, s + TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS, TOKEN_CHECKSUM_CHARS) != 0)
		return JT_ECHECKSUM;
	return JT_OK;
}

const char *token_kind_name(enum token_kind kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "none";
}
