/* SPDX-License-Identifier: MIT */
/* Counting repeated log lines (log_limit.h). */
#include "util/log_limit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void log_limit_init(struct log_limit *l, int64_t interval_ms)
{
	memset(l, 0, sizeof *l);
	l->interval_ms = interval_ms;
}

static void write_count(struct log_limit_slot *s, int64_t now_ms, log_limit_write write, void *arg)
{
	char text[LOG_LIMIT_LINE_BYTES + 80];
	int64_t seconds = (now_ms - s->since_ms + 500) / 1000;
	snprintf(text, sizeof text, "%s (repeated %" PRIu64 " time%s in the last %" PRId64 " s)",
		 s->line, s->repeats, s->repeats == 1 ? "" : "s", seconds);
	write(arg, text);
}

/* An interval that has ended: its count is written and, since the line
 * went on repeating, a new interval begins; a quiet line is forgotten. */
static void close_interval(struct log_limit_slot *s, int64_t now_ms, log_limit_write write,
			   void *arg)
{
	if (s->repeats == 0) {
		s->line[0] = '\0';
		return;
	}
	write_count(s, now_ms, write, arg);
	s->since_ms = now_ms;
	s->repeats = 0;
}

void log_limit_flush(struct log_limit *l, int64_t now_ms, log_limit_write write, void *arg)
{
	for (int i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slots[i];
		if (s->line[0] && now_ms - s->since_ms >= l->interval_ms)
			close_interval(s, now_ms, write, arg);
	}
}

void log_limit_line(struct log_limit *l, const char *line, int64_t now_ms, log_limit_write write,
		    void *arg)
{
	struct log_limit_slot *free_slot = NULL, *oldest = &l->slots[0];

	log_limit_flush(l, now_ms, write, arg);
	for (int i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slots[i];
		if (!s->line[0]) {
			if (!free_slot)
				free_slot = s;
		} else if (strncmp(s->line, line, sizeof s->line - 1) == 0) {
			s->repeats++;
			return;
		} else if (s->since_ms < oldest->since_ms) {
			oldest = s;
		}
	}
	if (!free_slot) {
		/* Every slot busy: the oldest gives way, its count written. */
		if (oldest->repeats)
			write_count(oldest, now_ms, write, arg);
		free_slot = oldest;
	}
	snprintf(free_slot->line, sizeof free_slot->line, "%s", line);
	free_slot->since_ms = now_ms;
	free_slot->repeats = 0;
	write(arg, line);
}

bool log_limit_pending(const struct log_limit *l)
{
	for (int i = 0; i < LOG_LIMIT_SLOTS; i++)
		if (l->slots[i].repeats)
			return true;
	return false;
}
