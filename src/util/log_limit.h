/* SPDX-License-Identifier: MIT */
/* Collapses repeated log lines. The first line of a kind is written; its
 * repeats in the following interval are only counted, and one line closes
 * the interval with the count: "<line> (repeated 6334 times in the last
 * 10 s)". While the repeats go on, that is one line per interval; once they
 * stop, the line is forgotten and its next occurrence is written as is.
 *
 * Pure logic: the caller passes the time (monotonic milliseconds) and
 * writes what it is handed; it also serializes the calls. */
#ifndef JETON_LOG_LIMIT_H
#define JETON_LOG_LIMIT_H
#include <stdbool.h>
#include <stdint.h>

#define LOG_LIMIT_SLOTS      16   /* distinct lines followed at once */
#define LOG_LIMIT_LINE_BYTES 1100 /* a line and its "(repeated ...)" suffix */

struct log_limit_slot {
	char line[LOG_LIMIT_LINE_BYTES]; /* "" = free */
	int64_t since_ms;                /* when its interval began */
	uint64_t repeats;                /* counted, not written, since then */
};

struct log_limit {
	int64_t interval_ms;
	struct log_limit_slot slots[LOG_LIMIT_SLOTS];
};

/* Receives each line to write (NUL-terminated, without a newline). */
typedef void (*log_limit_write)(void *arg, const char *text);

void log_limit_init(struct log_limit *l, int64_t interval_ms);

/* line is about to be logged at now_ms: first writes the count of every
 * interval that has ended, then line itself unless it repeats a line
 * written or counted less than an interval ago. */
void log_limit_line(struct log_limit *l, const char *line, int64_t now_ms, log_limit_write write,
		    void *arg);

/* Writes the count of every interval that has ended by now_ms. */
void log_limit_flush(struct log_limit *l, int64_t now_ms, log_limit_write write, void *arg);

/* True while some repeats are counted and not yet written. */
bool log_limit_pending(const struct log_limit *l);

#endif
