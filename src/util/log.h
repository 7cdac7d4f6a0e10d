/* SPDX-License-Identifier: MIT */
/* Log lines on stderr: "2026-11-23T19:27:42Z level message", or with
 * log_use_json one JSON object a line. Callers never
 * pass a secret (token, password, code, cookie) to these functions.
 *
 * A warning or error identical to one written less than
 * LIMIT_LOG_REPEAT_SECONDS ago is counted instead of written; the count
 * follows as one line per interval, "<line> (repeated N times in the last
 * 10 s)", written with the next line logged after the interval ends. Info
 * lines (the access log among them) are always written. */
#ifndef JETON_LOG_H
#define JETON_LOG_H
#include <stdbool.h>
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

/* --log-format json: every line becomes one JSON object,
 * {"time", "level", "message"}, and the access log's lines carry the
 * request's fields (log_request). Set once at start, before any thread. */
void log_use_json(bool on);
bool log_json(void);

/* One answered request, for the access log. Every string is plain ASCII
 * already (log_escape'd where it came from the request). */
struct log_request {
	const char *request_id;            /* "" when none */
	const char *method, *path, *route; /* route: the matched pattern, "" for none */
	int status;
	double duration_ms;
	const char *client;
};
/* Writes the access-log line of r: in text, method "path" status time
 * client; in JSON, an object with each field. */
void log_request(const struct log_request *r);

#endif
