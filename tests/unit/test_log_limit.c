/* SPDX-License-Identifier: MIT */
/* src/util/log_limit: repeated log lines collapse into one line with a
 * count per interval. The time is passed in: nothing sleeps. */
#include "check.h"
#include "util/log_limit.h"

#include <stdio.h>

#define INTERVAL_MS 10000

static char written[64][LOG_LIMIT_LINE_BYTES + 80];
static int nwritten;

static void record(void *arg, const char *text)
{
	(void)arg;
	if (nwritten < 64)
		snprintf(written[nwritten], sizeof written[0], "%s", text);
	nwritten++;
}

static struct log_limit lim;

static void reset(void)
{
	log_limit_init(&lim, INTERVAL_MS);
	nwritten = 0;
}

static void line(const char *text, int64_t now_ms)
{
	log_limit_line(&lim, text, now_ms, record, NULL);
}

TEST(a_flood_of_one_line_is_one_line_and_then_one_count_per_interval)
{
	reset();
	for (int i = 0; i < 6335; i++)
		line("error sqlite: commit: database or disk is full", i); /* 6335 in 6.3 s */
	CHECK_EQ_INT(nwritten, 1);
	CHECK_EQ_STR(written[0], "error sqlite: commit: database or disk is full");
	line("error sqlite: commit: database or disk is full", INTERVAL_MS);
	CHECK_EQ_INT(nwritten, 2);
	CHECK_EQ_STR(written[1], "error sqlite: commit: database or disk is full "
				 "(repeated 6334 times in the last 10 s)");
	/* The flood goes on: that line and the next ones count in a new interval. */
	for (int64_t t = INTERVAL_MS + 10; t < 2 * INTERVAL_MS; t += 10)
		line("error sqlite: commit: database or disk is full", t);
	CHECK_EQ_INT(nwritten, 2);
	log_limit_flush(&lim, 2 * INTERVAL_MS, record, NULL);
	CHECK_EQ_INT(nwritten, 3);
	CHECK_EQ_STR(written[2], "error sqlite: commit: database or disk is full "
				 "(repeated 1000 times in the last 10 s)");
}

TEST(a_line_that_stops_repeating_is_forgotten_and_written_again_later)
{
	reset();
	line("warn x", 0);
	line("warn x", 5);
	log_limit_flush(&lim, INTERVAL_MS, record, NULL);
	CHECK_EQ_INT(nwritten, 2);
	CHECK_EQ_STR(written[1], "warn x (repeated 1 time in the last 10 s)");
	CHECK(!log_limit_pending(&lim));
	log_limit_flush(&lim, 2 * INTERVAL_MS, record, NULL); /* a quiet interval: forgotten */
	CHECK_EQ_INT(nwritten, 2);
	line("warn x", 2 * INTERVAL_MS + 1);
	CHECK_EQ_INT(nwritten, 3);
	CHECK_EQ_STR(written[2], "warn x");
}

TEST(a_count_is_written_by_the_first_line_after_its_interval_whatever_that_line_is)
{
	reset();
	line("error a", 0);
	line("error a", 1);
	line("error a", 2);
	CHECK(log_limit_pending(&lim));
	line("error b", INTERVAL_MS - 1); /* within a's interval: a's count waits */
	CHECK_EQ_INT(nwritten, 2);
	line("error c", INTERVAL_MS + 2500);
	CHECK_EQ_INT(nwritten, 4);
	CHECK_EQ_STR(written[2], "error a (repeated 2 times in the last 13 s)");
	CHECK_EQ_STR(written[3], "error c");
	CHECK(!log_limit_pending(&lim));
}

TEST(distinct_lines_are_each_written)
{
	reset();
	line("error a", 0);
	line("error b", 0);
	line("warn a", 0);
	line("error a", 1);
	CHECK_EQ_INT(nwritten, 3);
	CHECK_EQ_STR(written[0], "error a");
	CHECK_EQ_STR(written[1], "error b");
	CHECK_EQ_STR(written[2], "warn a");
}

TEST(more_distinct_lines_than_slots_evict_the_oldest_with_its_count)
{
	char text[32];
	reset();
	line("error first", 0);
	line("error first", 1);
	for (int i = 0; i < LOG_LIMIT_SLOTS; i++) {
		snprintf(text, sizeof text, "error %d", i);
		line(text, 10 + i);
	}
	/* "first" and 15 others fill the slots; the 16th takes first's slot,
	 * whose count is written first. */
	CHECK_EQ_INT(nwritten, LOG_LIMIT_SLOTS + 2);
	CHECK_EQ_STR(written[LOG_LIMIT_SLOTS], "error first (repeated 1 time in the last 0 s)");
	CHECK_EQ_STR(written[LOG_LIMIT_SLOTS + 1], "error 15");
	line("error first", 100); /* forgotten: written again */
	CHECK_EQ_INT(nwritten, LOG_LIMIT_SLOTS + 3);
}

TEST(a_line_longer_than_a_slot_is_still_recognized_when_it_repeats)
{
	static char big[2 * LOG_LIMIT_LINE_BYTES];
	reset();
	memset(big, 'x', sizeof big - 1);
	line(big, 0);
	line(big, 1);
	CHECK_EQ_INT(nwritten, 1);
}

int main(void)
{
	RUN(a_flood_of_one_line_is_one_line_and_then_one_count_per_interval);
	RUN(a_line_that_stops_repeating_is_forgotten_and_written_again_later);
	RUN(a_count_is_written_by_the_first_line_after_its_interval_whatever_that_line_is);
	RUN(distinct_lines_are_each_written);
	RUN(more_distinct_lines_than_slots_evict_the_oldest_with_its_count);
	RUN(a_line_longer_than_a_slot_is_still_recognized_when_it_repeats);
	return check_summary(__FILE__);
}
