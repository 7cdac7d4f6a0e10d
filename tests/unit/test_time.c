/* SPDX-License-Identifier: MIT */
/* src/util/time.c: RFC 3339 parsing and formatting, clocks. */
#include "check.h"
#include "util/time.h"

#include <string.h>

/* Checks that s parses to want. */
static bool parses_to(const char *s, int64_t want)
{
	int64_t t = -12345;
	bool ok = CHECK_EQ_INT(time_parse(s, strlen(s), &t), JT_OK) && CHECK_EQ_INT(t, want);
	if (!ok)
		fprintf(stderr, "  input \"%s\"\n", s);
	return ok;
}

/* Checks that s is refused. */
static bool refused(const char *s)
{
	int64_t t = 0;
	bool ok = CHECK_EQ_INT(time_parse(s, strlen(s), &t), JT_EINVAL);
	if (!ok)
		fprintf(stderr, "  input \"%s\" gave %lld\n", s, (long long)t);
	return ok;
}

TEST(known_epoch_values)
{
	parses_to("1970-01-01T00:00:00Z", 0);
	parses_to("2030-01-01T00:00:00Z", 1893456000);
	parses_to("2000-02-29T12:34:56Z", 951827696);
	parses_to("9999-12-31T23:59:59Z", INT64_C(253402300799));
}

TEST(lowercase_t_and_z)
{
	parses_to("2030-01-01t00:00:00Z", 1893456000);
	parses_to("2030-01-01T00:00:00z", 1893456000);
	parses_to("2030-01-01t00:00:00z", 1893456000);
}

TEST(fractional_seconds_are_dropped)
{
	parses_to("2030-01-01T00:00:00.5Z", 1893456000);
	parses_to("2030-01-01T00:00:00.999999Z", 1893456000);
	parses_to("2030-01-01T00:00:00.123456789Z", 1893456000);
	parses_to("2030-01-01T00:00:01.0+00:00", 1893456001);
}

TEST(fractional_seconds_of_any_length)
{
	/* RFC 3339 §5.6: time-secfrac = "." 1*DIGIT, with no upper bound. */
	parses_to("2030-01-01T00:00:00.1234567891Z", 1893456000);
	parses_to("2030-01-01T00:00:00.000000000000000001+00:00", 1893456000);
}

TEST(numeric_offsets)
{
	parses_to("2030-01-01T02:00:00+02:00", 1893456000);
	parses_to("2029-12-31T18:30:00-05:30", 1893456000);
	parses_to("2030-01-01T00:00:00+00:00", 1893456000);
	parses_to("2030-01-01T00:00:00-00:00", 1893456000);
	parses_to("2030-01-01T23:59:00+23:59", 1893456000);
}

TEST(leap_days)
{
	parses_to("2028-02-29T00:00:00Z", 1835395200);
	parses_to("2000-02-29T00:00:00Z", 951782400); /* divisible by 400 */
	refused("2027-02-29T00:00:00Z");
	refused("2100-02-29T00:00:00Z"); /* divisible by 100, not 400 */
	refused("2028-02-30T00:00:00Z");
}

TEST(leap_second_names_the_last_second_of_its_minute)
{
	parses_to("2016-12-31T23:59:60Z", 1483228799);
}

TEST(out_of_range_fields)
{
	refused("2030-13-01T00:00:00Z");
	refused("2030-00-01T00:00:00Z");
	refused("2030-01-00T00:00:00Z");
	refused("2030-01-32T00:00:00Z");
	refused("2030-04-31T00:00:00Z");
	refused("2030-01-01T24:00:00Z");
	refused("2030-01-01T00:60:00Z");
	refused("2030-01-01T00:00:61Z");
	refused("2030-01-01T00:00:00+24:00");
	refused("2030-01-01T00:00:00+02:60");
}

TEST(years_before_1970)
{
	refused("1969-12-31T23:59:59Z");
	refused("0000-01-01T00:00:00Z");
}

TEST(malformed_strings)
{
	refused("");
	refused("2030-01-01");
	refused("2030-01-01T00:00:00");      /* no zone */
	refused("2030-01-01T00:00Z");        /* no seconds */
	refused("2030-01-01T00:00:00Z ");    /* trailing garbage */
	refused("2030-01-01T00:00:00Zx");
	refused(" 2030-01-01T00:00:00Z");
	refused("2030-01-01T00:00:00.Z");    /* empty fraction */
	refused("2030-01-01T00:00:00+0200"); /* offset without colon */
	refused("2030-01-01T00:00:00+02");
	refused("2030-01-01X00:00:00Z");
	refused("2030/01/01T00:00:00Z");
	refused("30-01-01T00:00:00Z");
	refused("20300-01-01T00:00:00Z");
	refused("2030-1-01T00:00:00Z");
	refused("2030-01-01T0:00:00Z");
	refused("2030-+1-01T00:00:00Z");
	refused("203a-01-01T00:00:00Z");
	refused("2030-01-01T00:00:00UTC");
	refused("2030-01-01T00:00:00GMT+1");
}

TEST(parse_reads_exactly_the_given_length)
{
	const char *s = "2030-01-01T00:00:00Zjunk";
	int64_t t = 0;
	CHECK_EQ_INT(time_parse(s, 20, &t), JT_OK);
	CHECK_EQ_INT(t, 1893456000);
	CHECK_EQ_INT(time_parse(s, 19, &t), JT_EINVAL);
	CHECK_EQ_INT(time_parse(s, 21, &t), JT_EINVAL);
}

TEST(format_known_values)
{
	char out[TIME_RFC3339_BUF];
	time_format(0, out);
	CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
	time_format(1893456000, out);
	CHECK_EQ_STR(out, "2030-01-01T00:00:00Z");
	time_format(1835395200 + 86399, out);
	CHECK_EQ_STR(out, "2028-02-29T23:59:59Z");
	CHECK_EQ_INT(strlen(out), TIME_RFC3339_BUF - 1);
}

TEST(format_then_parse_round_trips)
{
	/* Steps of a prime number of seconds, to land on all sorts of dates up
	 * to the year 9999. */
	for (int64_t t = 0; t < INT64_C(253402300799); t += 999999937) {
		char out[TIME_RFC3339_BUF];
		int64_t back = -1;
		time_format(t, out);
		if (!CHECK_EQ_INT(time_parse(out, strlen(out), &back), JT_OK) ||
		    !CHECK_EQ_INT(back, t))
			fprintf(stderr, "  formatted \"%s\"\n", out);
	}
}

TEST(clocks_move_forward)
{
	CHECK(time_now() > 1700000000); /* after November 2023 */
	int64_t ms = time_mono_ms(), us = time_mono_us();
	CHECK(ms > 0 && us > 0);
	CHECK(time_mono_ms() >= ms);
	CHECK(time_mono_us() >= us);
}

int main(void)
{
	RUN(known_epoch_values);
	RUN(lowercase_t_and_z);
	RUN(fractional_seconds_are_dropped);
	RUN(fractional_seconds_of_any_length);
	RUN(numeric_offsets);
	RUN(leap_days);
	RUN(leap_second_names_the_last_second_of_its_minute);
	RUN(out_of_range_fields);
	RUN(years_before_1970);
	RUN(malformed_strings);
	RUN(parse_reads_exactly_the_given_length);
	RUN(format_known_values);
	RUN(format_then_parse_round_trips);
	RUN(clocks_move_forward);
	return check_summary(__FILE__);
}
