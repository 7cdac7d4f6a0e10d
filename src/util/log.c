/* SPDX-License-Identifier: MIT */
/* Line-buffered logging: one write(2) per line so threads never interleave. */
#include "util/log.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_BYTES 1024

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Appends c to out[*used] as is or as \xHH; false when it does not fit
 * (room is kept for the NUL). */
static bool put_byte(char *out, size_t out_len, size_t *used, unsigned char c, bool escape)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = escape ? 4 : 1;
	if (*used + need >= out_len)
		return false;
	if (escape) {
		out[(*used)++] = '\\';
		out[(*used)++] = 'x';
		out[(*used)++] = hex[c >> 4];
		out[(*used)++] = hex[c & 0xf];
	} else {
		out[(*used)++] = (char)c;
	}
	return true;
}

const char *log_escape(const char *s, char *out, size_t out_len)
{
	size_t used = 0;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!put_byte(out, out_len, &used, c, is_control(c) || c >= 0x80 || c == '\\' || c == '"'))
			break;
	}
	out[used] = '\0';
	return out;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_BYTES], line[LOG_LINE_BYTES + 1];
	char now[TIME_RFC3339_BUF];
	time_format(time_now(), now);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		return;
	int n = snprintf(line, sizeof line, "%s %s ", now, level);
	if (n < 0)
		return;
	/* A value that skipped log_escape still cannot start a line of its own. */
	size_t len = (size_t)n;
	for (const char *p = msg; *p; p++)
		if (!put_byte(line, sizeof line - 1, &len, (unsigned char)*p, is_control((unsigned char)*p)))
			break;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

#define LOG_FN(name, level)                   \
	void name(const char *fmt, ...)       \
	{                                     \
		va_list ap;                   \
		va_start(ap, fmt);            \
		log_line(level, fmt, ap);     \
		va_end(ap);                   \
	}

LOG_FN(log_info, "info")
LOG_FN(log_warn, "warn")
LOG_FN(log_error, "error")
