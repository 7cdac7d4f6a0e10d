/* SPDX-License-Identifier: MIT */
/* Log lines on stderr: "2026-11-23T19:27:42Z level message". Callers never
 * pass a secret (token, password, code, cookie) to these functions. */
#ifndef JETON_LOG_H
#define JETON_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
