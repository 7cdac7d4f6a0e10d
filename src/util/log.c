/* SPDX-License-Identifier: MIT */
/* Line-buffered logging: one write(2) per line so threads never interleave;
 * repeated warnings and errors collapse into one line with a count. */
#include "util/log.h"
#include "util/limits.h"
#include "util/log_limit.h"
#include "util/time.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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
		if (!put_byte(out, out_len, &used, c,
			      is_control(c) || c >= 0x80 || c == '\\' || c == '"'))
			break;
	}
	out[used] = '\0';
	return out;
}

/* Repeated warnings and errors are counted, not written (log_limit.h). */
static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_limit limit = {.interval_ms = LIMIT_LOG_REPEAT_SECONDS * 1000};
static atomic_bool limit_pending; /* counts await their line: any line writes them */

static bool json_lines;

void log_use_json(bool on)
{
	json_lines = on;
}

bool log_json(void)
{
	return json_lines;
}

/* Writes o as one line and frees it. Its strings are ASCII (put_byte
 * escaped the rest), so the text is valid JSON whatever was logged. */
static void write_json(cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* the NUL goes: one write(2) with the newline */
		ssize_t w = write(STDERR_FILENO, text, len + 1);
		(void)w;
	}
	cJSON_free(text);
	cJSON_Delete(o);
}

/* A JSON line's first fields: time and level. */
static cJSON *json_line(const char *level)
{
	char now[TIME_RFC3339_BUF];
	cJSON *o = cJSON_CreateObject();
	time_format(time_now(), now);
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddStringToObject(o, "level", level);
	return o;
}

/* text is "<level> <message>" (log_line's); bytes outside ASCII become
 * \xHH, as in text lines. */
static void write_json_line(const char *text)
{
	char level[8], message[LOG_LIMIT_LINE_BYTES + 96];
	size_t n = strcspn(text, " "), used = 0;
	snprintf(level, sizeof level, "%.*s", (int)n, text);
	for (const char *p = text[n] ? text + n + 1 : text + n; *p; p++)
		if (!put_byte(message, sizeof message, &used, (unsigned char)*p,
			      (unsigned char)*p >= 0x80))
			break;
	message[used] = '\0';
	cJSON *o = json_line(level);
	cJSON_AddStringToObject(o, "message", message);
	write_json(o);
}

/* Writes "<time> <text>\n" in one write(2). */
static void write_line(void *arg, const char *text)
{
	char line[TIME_RFC3339_BUF + LOG_LIMIT_LINE_BYTES + 96];
	char now[TIME_RFC3339_BUF];
	(void)arg;
	if (json_lines) {
		write_json_line(text);
		return;
	}
	time_format(time_now(), now);
	int n = snprintf(line, sizeof line - 1, "%s %s", now, text);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

static void log_line(const char *level, bool limited, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_BYTES], text[LOG_LINE_BYTES + 1];
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		return;
	int n = snprintf(text, sizeof text, "%s ", level);
	if (n < 0)
		return;
	/* A value that skipped log_escape still cannot start a line of its own. */
	size_t len = (size_t)n;
	for (const char *p = msg; *p; p++)
		if (!put_byte(text, sizeof text, &len, (unsigned char)*p,
			      is_control((unsigned char)*p)))
			break;
	text[len] = '\0';
	if (!limited && !atomic_load(&limit_pending)) {
		write_line(NULL, text);
		return;
	}
	pthread_mutex_lock(&limit_mu);
	int64_t now_ms = time_mono_us() / 1000;
	if (limited) {
		log_limit_line(&limit, text, now_ms, write_line, NULL);
	} else {
		log_limit_flush(&limit, now_ms, write_line, NULL);
		write_line(NULL, text);
	}
	atomic_store(&limit_pending, log_limit_pending(&limit));
	pthread_mutex_unlock(&limit_mu);
}

#define LOG_FN(name, level, limited)                                                               \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_line(level, limited, fmt, ap);                                                 \
		va_end(ap);                                                                        \
	}

LOG_FN(log_info, "info", false)
LOG_FN(log_warn, "warn", true)
LOG_FN(log_error, "error", true)

void log_request(const struct log_request *r)
{
	if (!json_lines) {
		log_info("%s \"%s\" %d %.2fms %s", r->method, r->path, r->status, r->duration_ms,
			 r->client);
		return;
	}
	char message[LOG_LINE_BYTES];
	snprintf(message, sizeof message, "%s %s %d", r->method, r->path, r->status);
	cJSON *o = json_line("info");
	cJSON_AddStringToObject(o, "message", message);
	cJSON_AddStringToObject(o, "request_id", r->request_id);
	cJSON_AddStringToObject(o, "method", r->method);
	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "route", r->route);
	cJSON_AddNumberToObject(o, "status", r->status);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(int64_t)(r->duration_ms * 1000) / 1000);
	cJSON_AddStringToObject(o, "client", r->client);
	write_json(o);
}
