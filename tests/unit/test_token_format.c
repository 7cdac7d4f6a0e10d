/* SPDX-License-Identifier: MIT */
/* src/token/format.c: token generation and the shape + checksum check. */
#include "check.h"
#include "crypto/crypto.h"
#include "token/token.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static const struct {
	enum token_kind kind;
	const char *prefix;
	const char *name;
} kinds[] = {
	{TOKEN_PAT, "jtp_", "pat"},         {TOKEN_ACCESS, "jto_", "oauth"},
	{TOKEN_REFRESH, "jtr_", "refresh"}, {TOKEN_CLIENT, "jtc_", "client"},
	{TOKEN_SECRET, "jts_", "client_secret"}, {TOKEN_CODE, "jtk_", "code"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static bool is_base62(char c)
{
	return c != '\0' && strchr(base62, c) != NULL;
}

static bool is_known_prefix(const char *s)
{
	for (size_t k = 0; k < NKINDS; k++)
		if (memcmp(s, kinds[k].prefix, TOKEN_TYPE_CHARS) == 0)
			return true;
	return false;
}

/* The checksum as the format defines it, computed here independently:
 * CRC32 of prefix + random part, 6 base62 digits, most significant first. */
static void expected_checksum(const char *token, char out[TOKEN_CHECKSUM_CHARS + 1])
{
	unsigned long crc = crc32(0L, (const Bytef *)token, TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS);
	for (int i = TOKEN_CHECKSUM_CHARS - 1; i >= 0; i--) {
		out[i] = base62[crc % 62];
		crc /= 62;
	}
	out[TOKEN_CHECKSUM_CHARS] = '\0';
}

/* Rewrites the checksum of token so that it is right for what precedes it. */
static void fix_checksum(char *token)
{
	char sum[TOKEN_CHECKSUM_CHARS + 1];
	expected_checksum(token, sum);
	memcpy(token + TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS, sum, TOKEN_CHECKSUM_CHARS);
}

TEST(token_length_constants_add_up)
{
	CHECK_EQ_INT(TOKEN_LEN, 42);
	CHECK_EQ_INT(TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS + TOKEN_CHECKSUM_CHARS, TOKEN_LEN);
}

TEST(generated_tokens_have_the_kind_prefix_length_and_base62_body)
{
	for (size_t k = 0; k < NKINDS; k++) {
		for (int n = 0; n < 50; n++) {
			char t[TOKEN_LEN + 1];
			enum token_kind parsed = TOKEN_NONE;
			token_generate(kinds[k].kind, t);
			CHECK_EQ_INT(strlen(t), TOKEN_LEN);
			CHECK_EQ_MEM(t, kinds[k].prefix, TOKEN_TYPE_CHARS);
			size_t body = strspn(t + TOKEN_TYPE_CHARS, base62);
			CHECK_EQ_INT(body, TOKEN_RANDOM_CHARS + TOKEN_CHECKSUM_CHARS);
			CHECK_EQ_INT(token_parse(t, TOKEN_LEN, &parsed), JT_OK);
			CHECK_EQ_INT(parsed, kinds[k].kind);
		}
	}
}

TEST(checksum_is_base62_crc32_of_prefix_and_random_part)
{
	for (size_t k = 0; k < NKINDS; k++) {
		for (int n = 0; n < 50; n++) {
			char t[TOKEN_LEN + 1], sum[TOKEN_CHECKSUM_CHARS + 1];
			token_generate(kinds[k].kind, t);
			expected_checksum(t, sum);
			CHECK_EQ_STR(t + TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS, sum);
		}
	}
}

TEST(known_answer_tokens_parse)
{
	/* Checksums computed outside C (Python's zlib.crc32), so the test's
	 * encoder and the parser cannot share a mistake. */
	static const struct {
		const char *token;
		enum token_kind kind;
	} known[] = {
		{"jtp_00000000000000000000000000000000" "3xe417", TOKEN_PAT},
		{"jto_AAAAAAAAAAAAAAAAzzzzzzzzzzzzzzzz" "1bXe0o", TOKEN_ACCESS},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char sum[TOKEN_CHECKSUM_CHARS + 1];
		enum token_kind kind = TOKEN_NONE;
		CHECK_EQ_INT(strlen(known[i].token), TOKEN_LEN);
		expected_checksum(known[i].token, sum);
		CHECK_EQ_STR(sum, known[i].token + TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS);
		CHECK_EQ_INT(token_parse(known[i].token, TOKEN_LEN, &kind), JT_OK);
		CHECK_EQ_INT(kind, known[i].kind);
	}
}

TEST(flipping_any_single_character_is_refused)
{
	for (size_t k = 0; k < NKINDS; k++) {
		char good[TOKEN_LEN + 1];
		token_generate(kinds[k].kind, good);
		for (size_t pos = 0; pos < TOKEN_LEN; pos++) {
			for (int c = 0; c < 256; c++) {
				char t[TOKEN_LEN + 1];
				enum token_kind kind = TOKEN_PAT;
				if ((char)c == good[pos])
					continue;
				memcpy(t, good, sizeof t);
				t[pos] = (char)c;
				enum jt_status want;
				if (pos < TOKEN_TYPE_CHARS)
					want = is_known_prefix(t) ? JT_ECHECKSUM : JT_EINVAL;
				else
					want = is_base62((char)c) ? JT_ECHECKSUM : JT_EINVAL;
				enum jt_status got = token_parse(t, TOKEN_LEN, &kind);
				if (!CHECK_EQ_INT(got, want))
					fprintf(stderr, "  token %s, position %zu, byte 0x%02x\n", good,
						pos, (unsigned)c);
			}
		}
	}
}

TEST(wrong_length_is_invalid)
{
	char t[TOKEN_LEN + 2];
	enum token_kind kind = TOKEN_PAT;
	token_generate(TOKEN_PAT, t);
	CHECK_EQ_INT(token_parse(t, 0, &kind), JT_EINVAL);
	CHECK_EQ_INT(token_parse(t, 4, &kind), JT_EINVAL);
	CHECK_EQ_INT(token_parse(t, TOKEN_LEN - 1, &kind), JT_EINVAL);
	t[TOKEN_LEN] = 'a';
	t[TOKEN_LEN + 1] = '\0';
	CHECK_EQ_INT(token_parse(t, TOKEN_LEN + 1, &kind), JT_EINVAL);
	/* The length given is what counts, not a NUL. */
	CHECK_EQ_INT(token_parse(t, TOKEN_LEN, &kind), JT_OK);
	CHECK_EQ_INT(kind, TOKEN_PAT);
}

TEST(unknown_prefix_with_a_correct_checksum_is_invalid)
{
	static const char *const prefixes[] = {"jtx_", "JTP_", "jtp-", "xtp_", "jt__", "ghp_"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		char t[TOKEN_LEN + 1];
		enum token_kind kind = TOKEN_PAT;
		token_generate(TOKEN_PAT, t);
		memcpy(t, prefixes[i], TOKEN_TYPE_CHARS);
		fix_checksum(t);
		if (!CHECK_EQ_INT(token_parse(t, TOKEN_LEN, &kind), JT_EINVAL))
			fprintf(stderr, "  prefix %s\n", prefixes[i]);
	}
}

TEST(non_base62_character_with_a_correct_checksum_is_invalid)
{
	static const char bad[] = {'_', '-', '+', '/', '=', ' ', '.', '\0', '\x80', '\xff'};
	for (size_t i = 0; i < sizeof bad; i++) {
		char t[TOKEN_LEN + 1];
		enum token_kind kind;
		token_generate(TOKEN_ACCESS, t);
		t[TOKEN_TYPE_CHARS + 7] = bad[i];
		fix_checksum(t);
		CHECK_EQ_INT(token_parse(t, TOKEN_LEN, &kind), JT_EINVAL);
	}
	/* ... and in the checksum part itself. */
	char t[TOKEN_LEN + 1];
	enum token_kind kind;
	token_generate(TOKEN_PAT, t);
	t[TOKEN_LEN - 1] = '_';
	CHECK_EQ_INT(token_parse(t, TOKEN_LEN, &kind), JT_EINVAL);
}

TEST(truncated_or_extended_paste_is_refused)
{
	char t[TOKEN_LEN + 1], longer[TOKEN_LEN + 2];
	enum token_kind kind;
	token_generate(TOKEN_PAT, t);
	for (size_t n = 0; n < TOKEN_LEN; n++)
		CHECK(token_parse(t, n, &kind) != JT_OK);
	memcpy(longer, t, TOKEN_LEN);
	longer[TOKEN_LEN] = '\n';
	longer[TOKEN_LEN + 1] = '\0';
	CHECK(token_parse(longer, TOKEN_LEN + 1, &kind) != JT_OK);
}

static int compare_tokens(const void *a, const void *b)
{
	return memcmp(a, b, TOKEN_LEN + 1);
}

TEST(many_generated_tokens_are_distinct_and_use_every_character)
{
	enum { N = 20000 };
	char(*tokens)[TOKEN_LEN + 1] = malloc(sizeof *tokens * N);
	bool seen[256] = {false};
	if (!CHECK(tokens != NULL))
		return;
	for (int i = 0; i < N; i++) {
		token_generate(TOKEN_PAT, tokens[i]);
		for (size_t j = TOKEN_TYPE_CHARS; j < TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS; j++)
			seen[(unsigned char)tokens[i][j]] = true;
	}
	qsort(tokens, N, sizeof *tokens, compare_tokens);
	int duplicates = 0;
	for (int i = 1; i < N; i++)
		duplicates += memcmp(tokens[i - 1], tokens[i], TOKEN_LEN) == 0;
	CHECK_EQ_INT(duplicates, 0);
	/* 640,000 random characters: each of the 62 turns up. */
	int missing = 0;
	for (const char *c = base62; *c; c++)
		missing += !seen[(unsigned char)*c];
	CHECK_EQ_INT(missing, 0);
	free(tokens);
}

TEST(kind_names)
{
	for (size_t k = 0; k < NKINDS; k++)
		CHECK_EQ_STR(token_kind_name(kinds[k].kind), kinds[k].name);
	CHECK_EQ_STR(token_kind_name(TOKEN_NONE), "none");
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(token_length_constants_add_up);
	RUN(generated_tokens_have_the_kind_prefix_length_and_base62_body);
	RUN(checksum_is_base62_crc32_of_prefix_and_random_part);
	RUN(known_answer_tokens_parse);
	RUN(flipping_any_single_character_is_refused);
	RUN(wrong_length_is_invalid);
	RUN(unknown_prefix_with_a_correct_checksum_is_invalid);
	RUN(non_base62_character_with_a_correct_checksum_is_invalid);
	RUN(truncated_or_extended_paste_is_refused);
	RUN(many_generated_tokens_are_distinct_and_use_every_character);
	RUN(kind_names);
	crypto_shutdown();
	return check_summary(__FILE__);
}
