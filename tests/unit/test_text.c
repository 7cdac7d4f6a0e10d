/* SPDX-License-Identifier: MIT */
/* src/util/text.c: names, emails and strict integers. */
#include "check.h"
#include "util/limits.h"
#include "util/text.h"

#include <string.h>

static bool name_ok(const char *s, size_t max_chars)
{
	return text_name_valid(s, strlen(s), max_chars);
}

/* s repeated n times into buf (NUL-terminated); returns its length. */
static size_t repeat(char *buf, size_t buf_len, const char *s, size_t n)
{
	size_t len = strlen(s), used = 0;
	for (size_t i = 0; i < n && used + len < buf_len; i++, used += len)
		memcpy(buf + used, s, len);
	buf[used] = '\0';
	return used;
}

TEST(names_accept_printable_utf8)
{
	CHECK(name_ok("Alice", 100));
	CHECK(name_ok("CI token for docs-site", 100));
	CHECK(name_ok(" padded ", 100));
	CHECK(name_ok("Zo\xc3\xab", 100));                 /* Zoë: 2-byte */
	CHECK(name_ok("\xe6\x97\xa5\xe6\x9c\xac", 100));   /* 日本: 3-byte */
	CHECK(name_ok("rocket \xf0\x9f\x9a\x80", 100));    /* U+1F680: 4-byte */
	CHECK(name_ok("\xef\xbf\xbd", 100));               /* U+FFFD */
	CHECK(name_ok("\xf4\x8f\xbf\xbf", 100));           /* U+10FFFF, the last */
	CHECK(name_ok("\xed\x9f\xbf", 100));               /* U+D7FF, before surrogates */
	CHECK(name_ok("\xee\x80\x80", 100));               /* U+E000, after them */
}

TEST(names_refuse_empty_and_blank)
{
	CHECK(!name_ok("", 100));
	CHECK(!name_ok(" ", 100));
	CHECK(!name_ok("     ", 100));
}

TEST(names_refuse_control_characters)
{
	CHECK(!name_ok("a\nb", 100));
	CHECK(!name_ok("a\tb", 100));
	CHECK(!name_ok("\x01", 100));
	CHECK(!name_ok("a\x1f", 100));
	CHECK(!name_ok("del\x7f", 100));
	CHECK(!text_name_valid("a\0b", 3, 100)); /* an embedded NUL */
	/* C1 controls (U+0080..U+009F) are control characters too. */
	CHECK(!name_ok("a\xc2\x80", 100));
	CHECK(!name_ok("next\xc2\x85line", 100)); /* U+0085 NEL */
	CHECK(!name_ok("\xc2\x9f", 100));
}

TEST(names_refuse_invalid_utf8)
{
	static const char *const bad[] = {
		"\x80",                 /* lone continuation byte */
		"a\xbf",
		"\xc3",                 /* truncated 2-byte */
		"\xe6\x97",             /* truncated 3-byte */
		"\xf0\x9f\x9a",         /* truncated 4-byte */
		"\xc3\x28",             /* bad continuation */
		"\xc0\xaf",             /* overlong '/' */
		"\xc1\xbf",             /* overlong */
		"\xe0\x80\xaf",         /* overlong '/', 3 bytes */
		"\xe0\x9f\xbf",         /* overlong U+07FF */
		"\xf0\x80\x80\xaf",     /* overlong '/', 4 bytes */
		"\xf0\x8f\xbf\xbf",     /* overlong U+FFFF */
		"\xed\xa0\x80",         /* U+D800, a surrogate */
		"\xed\xbf\xbf",         /* U+DFFF */
		"\xed\xa0\xbd\xed\xb8\x80", /* a CESU-8 surrogate pair */
		"\xf4\x90\x80\x80",     /* U+110000, past Unicode */
		"\xf5\x80\x80\x80",
		"\xf8\x88\x80\x80\x80", /* 5-byte form */
		"\xfe",
		"\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!CHECK(!name_ok(bad[i], 100)))
			fprintf(stderr, "  case %zu\n", i);
}

TEST(name_length_is_counted_in_characters)
{
	char buf[1024];
	size_t n;

	n = repeat(buf, sizeof buf, "a", LIMIT_NAME_CHARS);
	CHECK(text_name_valid(buf, n, LIMIT_NAME_CHARS));
	n = repeat(buf, sizeof buf, "a", LIMIT_NAME_CHARS + 1);
	CHECK(!text_name_valid(buf, n, LIMIT_NAME_CHARS));

	n = repeat(buf, sizeof buf, "\xc3\xa9", LIMIT_NAME_CHARS); /* é: 200 bytes */
	CHECK(text_name_valid(buf, n, LIMIT_NAME_CHARS));
	n = repeat(buf, sizeof buf, "\xc3\xa9", LIMIT_NAME_CHARS + 1);
	CHECK(!text_name_valid(buf, n, LIMIT_NAME_CHARS));

	n = repeat(buf, sizeof buf, "\xf0\x9f\x9a\x80", LIMIT_NAME_CHARS); /* 400 bytes */
	CHECK_EQ_INT(n, LIMIT_NAME_BYTES);
	CHECK(text_name_valid(buf, n, LIMIT_NAME_CHARS));
	n = repeat(buf, sizeof buf, "\xf0\x9f\x9a\x80", LIMIT_NAME_CHARS + 1);
	CHECK(!text_name_valid(buf, n, LIMIT_NAME_CHARS));

	CHECK(name_ok("abc", 3));
	CHECK(!name_ok("abcd", 3));
	CHECK(name_ok("\xe6\x97\xa5\xe6\x9c\xac", 2));
}

TEST(name_reads_only_the_given_length)
{
	CHECK(text_name_valid("ab\n", 2, 100));
	CHECK(!text_name_valid("\xc3\xa9", 1, 100)); /* cut inside a character */
}

static bool email_ok(const char *s)
{
	return text_email_valid(s, strlen(s));
}

TEST(emails)
{
	CHECK(email_ok("alice@example.com"));
	CHECK(email_ok("a@b"));
	CHECK(email_ok("first.last+tag@sub.example.org"));
	CHECK(email_ok("Alice@Example.COM"));

	CHECK(!email_ok(""));
	CHECK(!email_ok("ab"));
	CHECK(!email_ok("alice"));
	CHECK(!email_ok("@example.com"));
	CHECK(!email_ok("alice@"));
	CHECK(!email_ok("a@@b"));
	CHECK(!email_ok("a@b@c"));
	CHECK(!email_ok("al ice@example.com"));
	CHECK(!email_ok("alice@example.com "));
	CHECK(!email_ok("alice@exa\tmple.com"));
	CHECK(!email_ok("alice\n@example.com"));
	CHECK(!email_ok("\"alice\"@example.com"));
	CHECK(!email_ok("<alice@example.com>"));
	CHECK(!email_ok("a,b@example.com"));
	CHECK(!email_ok("a;b@example.com"));
	CHECK(!email_ok("a\\b@example.com"));
	CHECK(!email_ok("z\xc3\xab@example.com")); /* non-ASCII */
	CHECK(!email_ok("del\x7f@example.com"));
	CHECK(!text_email_valid("a@b\0c", 5));
}

TEST(email_length_limit)
{
	char buf[LIMIT_EMAIL_BYTES + 2];
	/* local part "a", '@', then a domain filling the rest. */
	memset(buf, 'd', sizeof buf);
	buf[0] = 'a';
	buf[1] = '@';
	CHECK(text_email_valid(buf, LIMIT_EMAIL_BYTES));
	CHECK(!text_email_valid(buf, LIMIT_EMAIL_BYTES + 1));
}

/* text_parse_i64 on a NUL-terminated string. */
static enum jt_status parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	*out = -424242;
	return text_parse_i64(s, strlen(s), min, max, out);
}

TEST(integers_in_range)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("0", 0, 10, &v), JT_OK);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(parse_i64("42", 0, 100, &v), JT_OK);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(parse_i64("100", 1, 100, &v), JT_OK);
	CHECK_EQ_INT(v, 100);
	CHECK_EQ_INT(parse_i64("1", 1, 100, &v), JT_OK);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(parse_i64("-5", -10, 10, &v), JT_OK);
	CHECK_EQ_INT(v, -5);
	CHECK_EQ_INT(parse_i64("-10", -10, 10, &v), JT_OK);
	CHECK_EQ_INT(v, -10);
}

TEST(integers_out_of_range)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("101", 1, 100, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("0", 1, 100, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("-11", -10, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("11", -10, 10, &v), JT_EINVAL);
}

TEST(integers_at_the_limits_of_int64)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("9223372036854775807", 0, INT64_MAX, &v), JT_OK);
	CHECK_EQ_INT(v, INT64_MAX);
	CHECK_EQ_INT(parse_i64("-9223372036854775807", INT64_MIN, INT64_MAX, &v), JT_OK);
	CHECK_EQ_INT(v, -INT64_MAX);
	CHECK_EQ_INT(parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), JT_OK);
	CHECK_EQ_INT(v, INT64_MIN);
}

TEST(integer_overflow_is_refused)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("9223372036854775808", 0, INT64_MAX, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("9999999999999999999", 0, INT64_MAX, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("18446744073709551616", 0, INT64_MAX, &v), JT_EINVAL); /* 2^64 */
	CHECK_EQ_INT(parse_i64("18446744073709551617", 0, INT64_MAX, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("100000000000000000000000", 0, INT64_MAX, &v), JT_EINVAL);
}

TEST(integer_signs)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("-5", 0, 10, &v), JT_EINVAL); /* no sign unless min < 0 */
	CHECK_EQ_INT(parse_i64("-0", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("+5", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("+5", -10, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("--5", -10, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("-", -10, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("5-", -10, 10, &v), JT_EINVAL);
}

TEST(integers_span_the_whole_string)
{
	int64_t v;
	CHECK_EQ_INT(parse_i64("", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64(" 5", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("5 ", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("5a", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("0x5", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("5.0", 0, 10, &v), JT_EINVAL);
	CHECK_EQ_INT(parse_i64("1e3", 0, 10000, &v), JT_EINVAL);
	CHECK_EQ_INT(text_parse_i64("5\0", 2, 0, 10, &v), JT_EINVAL);
	/* Exactly s_len bytes are read. */
	CHECK_EQ_INT(text_parse_i64("12345", 3, 0, 1000, &v), JT_OK);
	CHECK_EQ_INT(v, 123);
}

TEST(decimal_formatting)
{
	char buf[TEXT_U64_BUF];
	CHECK_EQ_INT(text_u64(0, buf), 1);
	CHECK_EQ_STR(buf, "0");
	CHECK_EQ_INT(text_u64(7, buf), 1);
	CHECK_EQ_STR(buf, "7");
	CHECK_EQ_INT(text_u64(1234567890, buf), 10);
	CHECK_EQ_STR(buf, "1234567890");
	CHECK_EQ_INT(text_u64(UINT64_MAX, buf), 20);
	CHECK_EQ_STR(buf, "18446744073709551615");
}

TEST(ipv4_formatting)
{
	char buf[TEXT_IPV4_BUF];
	CHECK_EQ_INT(text_ipv4((const uint8_t[4]){127, 0, 0, 1}, buf), 9);
	CHECK_EQ_STR(buf, "127.0.0.1");
	CHECK_EQ_INT(text_ipv4((const uint8_t[4]){255, 255, 255, 255}, buf), 15);
	CHECK_EQ_STR(buf, "255.255.255.255");
	CHECK_EQ_INT(text_ipv4((const uint8_t[4]){0, 0, 0, 0}, buf), 7);
	CHECK_EQ_STR(buf, "0.0.0.0");
	CHECK_EQ_INT(text_ipv4((const uint8_t[4]){10, 200, 3, 40}, buf), 11);
	CHECK_EQ_STR(buf, "10.200.3.40");
}

int main(void)
{
	RUN(names_accept_printable_utf8);
	RUN(names_refuse_empty_and_blank);
	RUN(names_refuse_control_characters);
	RUN(names_refuse_invalid_utf8);
	RUN(name_length_is_counted_in_characters);
	RUN(name_reads_only_the_given_length);
	RUN(emails);
	RUN(email_length_limit);
	RUN(integers_in_range);
	RUN(integers_out_of_range);
	RUN(integers_at_the_limits_of_int64);
	RUN(integer_overflow_is_refused);
	RUN(integer_signs);
	RUN(integers_span_the_whole_string);
	RUN(decimal_formatting);
	RUN(ipv4_formatting);
	return check_summary(__FILE__);
}
