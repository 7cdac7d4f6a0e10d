/* SPDX-License-Identifier: MIT */
/* src/auth/header.c: splitting an Authorization header into the token. */
#include "auth/auth.h"
#include "check.h"

#include <string.h>

/* Parses value; on AUTH_OK checks the token is want_token and points into
 * value (no copy). */
static bool parses_to(const char *value, enum auth_result want, const char *want_token)
{
	const char *token = (const char *)1;
	size_t len = 99;
	enum auth_result r = auth_parse_header(value, &token, &len);
	bool ok = CHECK_EQ_INT(r, want);
	if (r == AUTH_OK && want_token) {
		char got[128] = "";
		if (token && len < sizeof got)
			memcpy(got, token, len);
		ok &= CHECK_EQ_STR(got, want_token);
		ok &= CHECK(token >= value && token + len <= value + strlen(value));
	}
	if (!ok)
		fprintf(stderr, "  header \"%s\"\n", value ? value : "(NULL)");
	return ok;
}

TEST(bearer_scheme_in_any_case)
{
	parses_to("Bearer X", AUTH_OK, "X");
	parses_to("bearer X", AUTH_OK, "X");
	parses_to("BEARER   X  ", AUTH_OK, "X");
	parses_to("bEaReR jtp_abc", AUTH_OK, "jtp_abc");
}

TEST(bare_token)
{
	parses_to("X", AUTH_OK, "X");
	parses_to("  jtp_abc  ", AUTH_OK, "jtp_abc");
	parses_to("\tjtp_abc\t", AUTH_OK, "jtp_abc");
}

TEST(tabs_count_as_spaces)
{
	parses_to("Bearer\tX", AUTH_OK, "X");
	parses_to("\tBearer \t X\t ", AUTH_OK, "X");
	parses_to("Bearer X\tY", AUTH_MALFORMED, NULL);
}

TEST(missing_header)
{
	const char *token = "not reset";
	size_t len = 7;
	CHECK_EQ_INT(auth_parse_header(NULL, &token, &len), AUTH_MISSING);
	CHECK(token == NULL);
	CHECK_EQ_INT(len, 0);
	parses_to("", AUTH_MISSING, NULL);
	parses_to("   ", AUTH_MISSING, NULL);
	parses_to(" \t ", AUTH_MISSING, NULL);
}

TEST(other_schemes)
{
	parses_to("Basic abc", AUTH_SCHEME, NULL);
	parses_to("Basic dXNlcjpwYXNz", AUTH_SCHEME, NULL);
	parses_to("Token jtp_abc", AUTH_SCHEME, NULL);
	parses_to("Bearerx abc", AUTH_SCHEME, NULL);
	parses_to("Bear abc", AUTH_SCHEME, NULL);
	parses_to("Bearer: abc", AUTH_SCHEME, NULL);
}

TEST(lone_bearer_word_is_a_bare_token)
{
	/* One word is always a bare token; verification then finds that
	 * "Bearer" is not shaped like a jeton token (AUTH_MALFORMED). */
	parses_to("Bearer", AUTH_OK, "Bearer");
	parses_to("  Bearer  ", AUTH_OK, "Bearer");
}

TEST(several_tokens_after_bearer_are_malformed)
{
	parses_to("Bearer a b", AUTH_MALFORMED, NULL);
	parses_to("Bearer  a  b  c", AUTH_MALFORMED, NULL);
}

TEST(every_result_has_a_distinct_description_without_a_token)
{
	const char *seen[AUTH_UNAVAILABLE + 1];
	for (int r = AUTH_OK; r <= AUTH_UNAVAILABLE; r++) {
		const char *d = auth_result_description((enum auth_result)r);
		seen[r] = d;
		if (!CHECK(d != NULL && d[0] != '\0'))
			continue;
		CHECK(strstr(d, "jtp_") == NULL && strstr(d, "jto_") == NULL &&
		      strstr(d, "jtc_") == NULL);
		for (int q = AUTH_OK; q < r; q++)
			if (!CHECK(seen[q] == NULL || strcmp(seen[q], d) != 0))
				fprintf(stderr, "  results %d and %d: \"%s\"\n", q, r, d);
	}
}

int main(void)
{
	RUN(bearer_scheme_in_any_case);
	RUN(bare_token);
	RUN(tabs_count_as_spaces);
	RUN(missing_header);
	RUN(other_schemes);
	RUN(lone_bearer_word_is_a_bare_token);
	RUN(several_tokens_after_bearer_are_malformed);
	RUN(every_result_has_a_distinct_description_without_a_token);
	return check_summary(__FILE__);
}
