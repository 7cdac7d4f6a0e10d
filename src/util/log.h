/* SPDX-License-Identifier: MIT */
/* Log lines on stderr: "2026-11-23T19:27:42Z level message". Callers never
 * pass a secret (token, password, code, cookie) to these functions.
 *
 * A warning or error identical to one written less than
 * LIMIT_LOG_REPEAT_SECONDS ago is counted instead of written; the count
 * follows as one line per interval, "<line> (repeated N times in the last
 * 10 s)", written with the next line logged after the interval ends. Info
 * lines (the access log among them) are always written. */
#ifndef JETON_LOG_H
#define JETON_LOG_H
#include <stddef.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies s into out (out_len > 0) with every byte that could forge or
 * garble a log line written as \xHH: control characters, DEL, anything
 * outside printable ASCII, and '\\' and '"' so a quoted field stays one
 * field. Truncates to fit; returns out. Every logged value that came from
 * a request goes through this. (Each log line is also checked: a control
 * character that reaches it anyway is written as \xHH, never as is.) */
const char *log_escape(const char *s, char *out, size_t out_len);
#define LOG_FIELD_BYTES 1024 /* an escaped field longer than a log line is cut anyway */

#endif
