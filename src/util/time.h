/* SPDX-License-Identifier: MIT */
/* Clocks and RFC 3339 times. Wall-clock times are unix seconds (UTC). */
#ifndef JETON_TIME_H
#define JETON_TIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/status.h"

#define TIME_RFC3339_BUF 21 /* "2026-11-23T19:27:42Z" + NUL */

int64_t time_now(void);          /* wall clock, unix seconds */
int64_t time_now_ms(void);       /* wall clock, unix milliseconds */
int64_t time_mono_ms(void);      /* monotonic milliseconds, for TTLs and deadlines */
int64_t time_mono_us(void);      /* monotonic microseconds, for measured durations */

/* The test clock. time_now() and time_mono_ms() run ahead of the real
 * clocks by an offset that tests move instead of sleeping; time_mono_us()
 * (durations) never moves. Production never sets it: `jeton serve`
 * refuses JETON_TEST_CLOCK unless it listens on loopback only.
 *
 * time_use_clock_file: the offset is read from path (decimal seconds,
 * written by the test) on every reading of the clock. JT_EINVAL when the
 * file is not a regular file owned by this user and writable by it alone.
 * time_set_offset: sets the offset directly (unit tests). */
enum jt_status time_use_clock_file(const char *path);
void time_set_offset(int64_t seconds);
bool time_is_shifted(void);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void time_format(int64_t t, char out[TIME_RFC3339_BUF]);

/* Parses an RFC 3339 date-time (fractional seconds and a numeric offset
 * allowed, years 1970-9999) of exactly s_len bytes into unix seconds.
 * JT_EINVAL on anything else. */
enum jt_status time_parse(const char *s, size_t s_len, int64_t *out);

#define TIME_DURATION_BUF 24
#define TIME_DURATION_MAX (100LL * 366 * 86400) /* a century */
/* Parses a duration of exactly s_len bytes: a positive whole number and a
 * unit, s, m, h, d or w ("90d"), at most TIME_DURATION_MAX seconds.
 * JT_EINVAL on anything else. */
enum jt_status time_parse_duration(const char *s, size_t s_len, int64_t *out);
/* Writes seconds (> 0) in the largest unit up to days that divides it:
 * "90d", "36h". */
void time_format_duration(int64_t seconds, char out[TIME_DURATION_BUF]);

#endif
