/* SPDX-License-Identifier: MIT */
/* src/token/scope.c: scope names and bit sets. */
#include "check.h"
#include "token/token.h"
#include "util/limits.h"

#include <string.h>

static const struct {
	uint64_t bit;
	const char *name;
} scopes[SCOPE_COUNT] = {
	{SCOPE_READ_CONTENT, "read_content"},   {SCOPE_WRITE_CONTENT, "write_content"},
	{SCOPE_MANAGE_SPACE, "manage_space"},   {SCOPE_MANAGE_TOKENS, "manage_tokens"},
	{SCOPE_MANAGE_USERS, "manage_users"},   {SCOPE_MANAGE_APPS, "manage_apps"},
	{SCOPE_REPORT_LEAKS, "report_leaks"},
};

/* scope_parse on a NUL-terminated string; *out starts as a sentinel. */
static enum jt_status parse(const char *s, uint64_t *out)
{
	*out = 0xDEAD;
	return scope_parse(s, strlen(s), out);
}

TEST(scope_constants)
{
	CHECK_EQ_INT(SCOPE_ALL, 0x7F);
	CHECK_EQ_INT(SCOPE_SPACE_SCOPES,
		     SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT | SCOPE_MANAGE_SPACE);
}

TEST(parse_single_names)
{
	for (int i = 0; i < SCOPE_COUNT; i++) {
		uint64_t set;
		CHECK_EQ_INT(parse(scopes[i].name, &set), JT_OK);
		CHECK_EQ_INT(set, scopes[i].bit);
	}
}

TEST(parse_lists_with_any_number_of_spaces)
{
	uint64_t set;
	CHECK_EQ_INT(parse("read_content write_content", &set), JT_OK);
	CHECK_EQ_INT(set, SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT);
	CHECK_EQ_INT(parse("  manage_users    read_content  ", &set), JT_OK);
	CHECK_EQ_INT(set, SCOPE_MANAGE_USERS | SCOPE_READ_CONTENT);
	CHECK_EQ_INT(parse("manage_apps manage_apps", &set), JT_OK);
	CHECK_EQ_INT(set, SCOPE_MANAGE_APPS);
	CHECK_EQ_INT(parse("report_leaks manage_apps manage_users manage_tokens manage_space "
			   "write_content read_content",
			   &set),
		     JT_OK);
	CHECK_EQ_INT(set, SCOPE_ALL);
}

TEST(parse_empty_list_gives_no_scopes)
{
	uint64_t set;
	CHECK_EQ_INT(parse("", &set), JT_OK);
	CHECK_EQ_INT(set, 0);
	CHECK_EQ_INT(parse("    ", &set), JT_OK);
	CHECK_EQ_INT(set, 0);
}

TEST(parse_refuses_unknown_names)
{
	static const char *const bad[] = {
		"bogus",
		"read_content bogus",
		"bogus read_content",
		"read_contents",
		"read_conten",
		"READ_CONTENT",
		"read-content",
		"read_content,write_content",
		"read_content\twrite_content", /* scopes are separated by SP only */
		"read_content\n",
		"*",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t set;
		if (!CHECK_EQ_INT(parse(bad[i], &set), JT_EINVAL))
			fprintf(stderr, "  input \"%s\"\n", bad[i]);
	}
}

TEST(parse_reads_only_the_given_length)
{
	const char *s = "read_content write_content";
	uint64_t set = 0;
	CHECK_EQ_INT(scope_parse(s, strlen("read_content"), &set), JT_OK);
	CHECK_EQ_INT(set, SCOPE_READ_CONTENT);
	CHECK_EQ_INT(scope_parse(s, 4, &set), JT_EINVAL); /* "read" */
}

TEST(format_writes_canonical_order)
{
	char out[LIMIT_SCOPES_BYTES];
	scope_format(SCOPE_ALL, out, sizeof out);
	CHECK_EQ_STR(out, "read_content write_content manage_space manage_tokens manage_users "
			  "manage_apps report_leaks");
	scope_format(SCOPE_MANAGE_APPS | SCOPE_READ_CONTENT, out, sizeof out);
	CHECK_EQ_STR(out, "read_content manage_apps");
	scope_format(SCOPE_MANAGE_TOKENS, out, sizeof out);
	CHECK_EQ_STR(out, "manage_tokens");
	memcpy(out, "junk", 5);
	scope_format(0, out, sizeof out);
	CHECK_EQ_STR(out, "");
}

TEST(format_then_parse_round_trips_every_set)
{
	for (uint64_t set = 0; set <= SCOPE_ALL; set++) {
		char out[LIMIT_SCOPES_BYTES];
		uint64_t back = 0xDEAD;
		scope_format(set, out, sizeof out);
		CHECK_EQ_INT(scope_parse(out, strlen(out), &back), JT_OK);
		CHECK_EQ_INT(back, set);
		/* Canonical: no leading, trailing or doubled spaces. */
		size_t n = strlen(out);
		CHECK(n == 0 || (out[0] != ' ' && out[n - 1] != ' '));
		CHECK(strstr(out, "  ") == NULL);
	}
}

TEST(format_stays_inside_a_small_buffer)
{
	char buf[64];
	memset(buf, 'X', sizeof buf);
	scope_format(SCOPE_ALL, buf, 20);
	CHECK(memchr(buf, '\0', 20) != NULL);
	for (size_t i = 20; i < sizeof buf; i++)
		CHECK_EQ_INT(buf[i], 'X');
}

TEST(from_name_matches_whole_names_only)
{
	for (int i = 0; i < SCOPE_COUNT; i++)
		CHECK_EQ_INT(scope_from_name(scopes[i].name, strlen(scopes[i].name)),
			     scopes[i].bit);
	CHECK_EQ_INT(scope_from_name("", 0), 0);
	CHECK_EQ_INT(scope_from_name("read", 4), 0);
	CHECK_EQ_INT(scope_from_name("read_content_", 13), 0);
	CHECK_EQ_INT(scope_from_name("Read_content", 12), 0);
	/* Only s_len bytes are looked at. */
	CHECK_EQ_INT(scope_from_name("manage_users and more", 12), SCOPE_MANAGE_USERS);
}

TEST(name_and_description_of_each_bit)
{
	for (int i = 0; i < SCOPE_COUNT; i++) {
		CHECK_EQ_STR(scope_name(scopes[i].bit), scopes[i].name);
		const char *d = scope_description(scopes[i].bit);
		CHECK(d != NULL && d[0] != '\0');
	}
}

TEST(name_of_something_that_is_not_one_scope_is_no_name)
{
	static const uint64_t not_one[] = {0, SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT,
					   1u << SCOPE_COUNT, UINT64_C(1) << 63};
	for (size_t i = 0; i < sizeof not_one / sizeof not_one[0]; i++) {
		const char *n = scope_name(not_one[i]);
		if (CHECK(n != NULL))
			CHECK_EQ_INT(scope_from_name(n, strlen(n)), 0);
	}
}

int main(void)
{
	RUN(scope_constants);
	RUN(parse_single_names);
	RUN(parse_lists_with_any_number_of_spaces);
	RUN(parse_empty_list_gives_no_scopes);
	RUN(parse_refuses_unknown_names);
	RUN(parse_reads_only_the_given_length);
	RUN(format_writes_canonical_order);
	RUN(format_then_parse_round_trips_every_set);
	RUN(format_stays_inside_a_small_buffer);
	RUN(from_name_matches_whole_names_only);
	RUN(name_and_description_of_each_bit);
	RUN(name_of_something_that_is_not_one_scope_is_no_name);
	return check_summary(__FILE__);
}
