/* SPDX-License-Identifier: MIT */
/* Clocks and strict RFC 3339 parsing and formatting. */
#include "util/time.h"

#include "util/text.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Atomic int64_t offset_seconds;
static char *clock_file; /* set once, before any thread starts */

enum jt_status time_use_clock_file(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)))
		return JT_EINVAL;
	clock_file = strdup(path);
	return clock_file ? JT_OK : JT_ENOMEM;
}

void time_set_offset(int64_t seconds)
{
	atomic_store(&offset_seconds, seconds);
}

bool time_is_shifted(void)
{
	return clock_file || atomic_load(&offset_seconds) != 0;
}

/* The test clock's offset; a file that cannot be read keeps the last one. */
static int64_t offset(void)
{
	if (!clock_file)
		return atomic_load_explicit(&offset_seconds, memory_order_relaxed);
	char buf[32];
	int64_t v;
	ssize_t n = 0;
	int fd = open(clock_file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n > 0 && text_parse_i64(buf, (size_t)n, -(1LL << 40), 1LL << 40, &v) == JT_OK)
		atomic_store(&offset_seconds, v);
	return atomic_load(&offset_seconds);
}

int64_t time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + offset();
}

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + offset()) * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + offset() * 1000;
}

int64_t time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_format(int64_t t, char out[TIME_RFC3339_BUF])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, TIME_RFC3339_BUF, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads exactly n decimal digits at s[*pos]. */
static int digits(const char *s, size_t s_len, size_t *pos, int n, int *out)
{
	int v = 0;
	if (*pos + (size_t)n > s_len)
		return 0;
	for (int i = 0; i < n; i++) {
		char c = s[*pos + (size_t)i];
		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (c - '0');
	}
	*pos += (size_t)n;
	*out = v;
	return 1;
}

static int expect(const char *s, size_t s_len, size_t *pos, char a, char b)
{
	if (*pos >= s_len || (s[*pos] != a && s[*pos] != b))
		return 0;
	(*pos)++;
	return 1;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

enum jt_status time_parse(const char *s, size_t s_len, int64_t *out)
{
	size_t p = 0;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (!digits(s, s_len, &p, 4, &y) || !expect(s, s_len, &p, '-', '-') ||
	    !digits(s, s_len, &p, 2, &mo) || !expect(s, s_len, &p, '-', '-') ||
	    !digits(s, s_len, &p, 2, &d) || !expect(s, s_len, &p, 'T', 't') ||
	    !digits(s, s_len, &p, 2, &h) || !expect(s, s_len, &p, ':', ':') ||
	    !digits(s, s_len, &p, 2, &mi) || !expect(s, s_len, &p, ':', ':') ||
	    !digits(s, s_len, &p, 2, &sec))
		return JT_EINVAL;
	if (p < s_len && s[p] == '.') {
		size_t start = ++p;
		while (p < s_len && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == start)
			return JT_EINVAL;
	}
	if (p < s_len && (s[p] == 'Z' || s[p] == 'z')) {
		p++;
	} else if (p < s_len && (s[p] == '+' || s[p] == '-')) {
		sign = s[p++] == '-' ? -1 : 1;
		if (!digits(s, s_len, &p, 2, &oh) || !expect(s, s_len, &p, ':', ':') ||
		    !digits(s, s_len, &p, 2, &om) || oh > 23 || om > 59)
			return JT_EINVAL;
	} else {
		return JT_EINVAL;
	}
	if (p != s_len || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return JT_EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second names the last second of its minute */

	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = sec};
	int64_t t = (int64_t)timegm(&tm);
	*out = t - sign * (oh * 3600 + om * 60);
	return JT_OK;
}

static const struct {
	char unit;
	int64_t seconds;
} duration_units[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

enum jt_status time_parse_duration(const char *s, size_t s_len, int64_t *out)
{
	int64_t n = 0;
	if (s_len < 2 || s_len > 12)
		return JT_EINVAL;
	for (size_t i = 0; i + 1 < s_len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return JT_EINVAL;
		n = n * 10 + (s[i] - '0'); /* at most 11 digits: no overflow */
	}
	for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
		if (s[s_len - 1] != duration_units[i].unit)
			continue;
		if (n <= 0 || n > TIME_DURATION_MAX / duration_units[i].seconds)
			return JT_EINVAL;
		*out = n * duration_units[i].seconds;
		return JT_OK;
	}
	return JT_EINVAL;
}

void time_format_duration(int64_t seconds, char out[TIME_DURATION_BUF])
{
	size_t i = 1; /* days at most: "14d" reads better than "2w" */
	while (seconds % duration_units[i].seconds != 0)
		i++; /* ends at seconds: 1 divides all */
	snprintf(out, TIME_DURATION_BUF, "%lld%c", (long long)(seconds / duration_units[i].seconds),
		 duration_units[i].unit);
}
