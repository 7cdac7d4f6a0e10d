/* SPDX-License-Identifier: MIT */
/* src/http/form.c: application/x-www-form-urlencoded decoding. */
#include "check.h"
#include "http/http.h"

#include <string.h>

/* http_form_get on a NUL-terminated body with a 64-byte output. */
static enum jt_status get(const char *body, const char *key, char out[64])
{
	memcpy(out, "untouched", 10);
	return http_form_get(body, strlen(body), key, out, 64);
}

/* Checks that key in body decodes to want. */
static bool gets(const char *body, const char *key, const char *want)
{
	char out[64];
	bool ok = CHECK_EQ_INT(get(body, key, out), JT_OK) && CHECK_EQ_STR(out, want);
	if (!ok)
		fprintf(stderr, "  body \"%s\", key \"%s\"\n", body, key);
	return ok;
}

/* Checks that looking key up in body gives want_status. */
static bool fails(const char *body, const char *key, enum jt_status want_status)
{
	char out[64];
	bool ok = CHECK_EQ_INT(get(body, key, out), want_status);
	if (!ok)
		fprintf(stderr, "  body \"%s\", key \"%s\"\n", body, key);
	return ok;
}

TEST(finds_plain_values)
{
	gets("grant_type=refresh_token", "grant_type", "refresh_token");
	gets("a=1&b=2&c=3", "a", "1");
	gets("a=1&b=2&c=3", "b", "2");
	gets("a=1&b=2&c=3", "c", "3");
	gets("a=x=y", "a", "x=y");
}

TEST(decodes_plus_and_percent_escapes)
{
	gets("scope=read_content+write_content", "scope", "read_content write_content");
	gets("v=%41%42%43", "v", "ABC");
	gets("v=%2b%2B", "v", "++");
	gets("v=a%20b+c", "v", "a b c");
	gets("redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D2", "redirect_uri",
	     "https://app.example/cb?x=1&y=2");
	gets("v=%C3%A9", "v", "\xc3\xa9");
	gets("v=%25", "v", "%");
}

TEST(keys_are_decoded_too)
{
	gets("redirect%5Furi=x", "redirect_uri", "x");
	gets("a+b=1", "a b", "1");
}

TEST(empty_values)
{
	gets("a=&b=1", "a", "");
	gets("a&b=1", "a", "");
	gets("b=1&a=", "a", "");
}

TEST(empty_pairs_are_skipped)
{
	gets("&&a=1&&", "a", "1");
	gets("a=1&&", "a", "1");
}

TEST(missing_key)
{
	fails("", "a", JT_ENOTFOUND);
	fails("b=1&c=2", "a", JT_ENOTFOUND);
	fails("&&&", "a", JT_ENOTFOUND);
	fails("A=1", "a", JT_ENOTFOUND);
	fails("=1", "a", JT_ENOTFOUND);
}

TEST(key_that_is_a_prefix_or_suffix_of_another_key)
{
	gets("ab=1&a=2", "a", "2");
	gets("ab=1&a=2", "ab", "1");
	gets("a=1&ab=2", "a", "1");
	gets("xa=1&a=2", "a", "2");
	fails("ab=1", "a", JT_ENOTFOUND);
	fails("a=1", "ab", JT_ENOTFOUND);
	gets("client_id=1&client_id_issued=2", "client_id", "1");
}

TEST(repeated_key_is_invalid)
{
	fails("a=1&a=2", "a", JT_EINVAL);
	fails("a=1&a=1", "a", JT_EINVAL);
	fails("a=1&b=2&a=3", "a", JT_EINVAL);
	fails("a=&a", "a", JT_EINVAL);
	fails("a=1&%61=2", "a", JT_EINVAL); /* the same name, encoded */
	gets("a=1&b=2&b=3", "a", "1");      /* only the key asked for matters */
}

TEST(value_too_long)
{
	char out[4];
	CHECK_EQ_INT(http_form_get("a=abc", 5, "a", out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "abc");
	CHECK_EQ_INT(http_form_get("a=abcd", 6, "a", out, sizeof out), JT_ETOOBIG);
	/* The limit is on the decoded value. */
	CHECK_EQ_INT(http_form_get("a=%41%42%43", 11, "a", out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "ABC");
	CHECK_EQ_INT(http_form_get("a=%41%42%43%44", 14, "a", out, sizeof out), JT_ETOOBIG);
	char big[LIMIT_FORM_VALUE_BYTES + 1];
	char body[LIMIT_FORM_VALUE_BYTES + 8];
	memcpy(body, "v=", 2);
	memset(body + 2, 'x', LIMIT_FORM_VALUE_BYTES);
	CHECK_EQ_INT(http_form_get(body, 2 + LIMIT_FORM_VALUE_BYTES, "v", big, sizeof big), JT_OK);
	CHECK_EQ_INT(strlen(big), LIMIT_FORM_VALUE_BYTES);
	body[2 + LIMIT_FORM_VALUE_BYTES] = 'x';
	CHECK_EQ_INT(http_form_get(body, 3 + LIMIT_FORM_VALUE_BYTES, "v", big, sizeof big),
		     JT_ETOOBIG);
}

TEST(bad_escapes_are_invalid)
{
	fails("a=%", "a", JT_EINVAL);
	fails("a=%4", "a", JT_EINVAL);
	fails("a=x%4", "a", JT_EINVAL);
	fails("a=%zz", "a", JT_EINVAL);
	fails("a=%4g", "a", JT_EINVAL);
	fails("a=%g4", "a", JT_EINVAL);
	fails("a=% 41", "a", JT_EINVAL);
	fails("a=%4&b=1", "a", JT_EINVAL); /* the escape may not run into the next pair */
}

TEST(nul_escape_is_invalid)
{
	fails("a=%00", "a", JT_EINVAL);
	fails("a=x%00y", "a", JT_EINVAL);
}

TEST(another_keys_bad_value_does_not_matter)
{
	gets("x=%zz&a=1", "a", "1");
	gets("x=%00&a=1", "a", "1");
}

TEST(reads_only_the_given_length)
{
	char out[64];
	const char *body = "a=1&b=2";
	CHECK_EQ_INT(http_form_get(body, 3, "b", out, sizeof out), JT_ENOTFOUND);
	CHECK_EQ_INT(http_form_get(body, 3, "a", out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "1");
	CHECK_EQ_INT(http_form_get("a=12345", 4, "a", out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "12");
}

TEST(decode_on_its_own)
{
	char out[8];
	CHECK_EQ_INT(http_form_decode("%41+b", 5, out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "A b");
	CHECK_EQ_INT(http_form_decode("", 0, out, sizeof out), JT_OK);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(http_form_decode("1234567", 7, out, sizeof out), JT_OK);
	CHECK_EQ_INT(http_form_decode("12345678", 8, out, sizeof out), JT_ETOOBIG);
	CHECK_EQ_INT(http_form_decode("%0", 2, out, sizeof out), JT_EINVAL);
	CHECK_EQ_INT(http_form_decode("%00", 3, out, sizeof out), JT_EINVAL);
	CHECK_EQ_INT(http_form_decode("%4G", 3, out, sizeof out), JT_EINVAL);
	/* "%41" cut to two bytes is an incomplete escape. */
	CHECK_EQ_INT(http_form_decode("%41", 2, out, sizeof out), JT_EINVAL);
}

int main(void)
{
	RUN(finds_plain_values);
	RUN(decodes_plus_and_percent_escapes);
	RUN(keys_are_decoded_too);
	RUN(empty_values);
	RUN(empty_pairs_are_skipped);
	RUN(missing_key);
	RUN(key_that_is_a_prefix_or_suffix_of_another_key);
	RUN(repeated_key_is_invalid);
	RUN(value_too_long);
	RUN(bad_escapes_are_invalid);
	RUN(nul_escape_is_invalid);
	RUN(another_keys_bad_value_does_not_matter);
	RUN(reads_only_the_given_length);
	RUN(decode_on_its_own);
	return check_summary(__FILE__);
}
