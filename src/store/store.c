/* SPDX-License-Identifier: MIT */
/* Opening and closing a store: the driver chosen by the location string,
 * its statements, its writer; and what every driver answers alike. */
#include "store/query.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

enum jt_status store_open(const char *location, int threads, struct store **out)
{
	struct store *st = NULL;
	enum jt_status s;
	*out = NULL;
	if (!location || !*location)
		return JT_EINVAL;
	if (store_is_postgres(location))
		s = store_postgres_open(location, threads, &st);
	else
		s = store_sqlite_open(location, threads, &st);
	if (s == JT_OK)
		s = query_build(st);
	if (s == JT_OK)
		s = writer_start(st);
	if (s != JT_OK) {
		store_close(st);
		return s;
	}
	*out = st;
	return JT_OK;
}

bool store_is_shared(const struct store *st)
{
	return st->d->shared;
}

bool store_is_postgres(const char *location)
{
	/* A URI, or a libpq keyword string such as "host=... dbname=...". */
	return strncmp(location, "postgres://", 11) == 0 ||
	       strncmp(location, "postgresql://", 13) == 0 || strstr(location, "dbname=") != NULL ||
	       strstr(location, "host=") != NULL;
}

void store_location_redacted(const char *location, char *out, size_t out_len)
{
	const char *scheme = strstr(location, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	const char *pw = strstr(location, "password=");

	if (!store_is_postgres(location)) {
		snprintf(out, out_len, "%s", location);
	} else if (at && colon && colon < at) {
		/* postgres://user:SECRET@host/db */
		snprintf(out, out_len, "%.*s:***%s", (int)(colon - location), location, at);
	} else if (pw) {
		/* password=SECRET in a keyword string or a URI's query */
		const char *end = pw + 9 + strcspn(pw + 9, " &");
		snprintf(out, out_len, "%.*s***%s", (int)(pw + 9 - location), location, end);
	} else {
		snprintf(out, out_len, "%s", location);
	}
}

void store_close(struct store *st)
{
	if (!st)
		return;
	writer_stop(st); /* finishes every queued write first */
	query_free(st);
	st->d->close(st);
}

void store_list_free(void *items)
{
	jt_free(items);
}

enum jt_status store_migrate(struct store *st)
{
	return st->d->migrate(st);
}

enum jt_status store_schema_version(struct store *st, int *version, int *known)
{
	return st->d->schema_version(st, version, known);
}

enum jt_status store_ping(struct store *st)
{
	int64_t roles;
	return store_get(st, Q_PING, NO_ARGS, &roles);
}

enum jt_status store_listen(struct store *st, store_changed changed, void *arg,
			    struct store_listener **out)
{
	*out = NULL;
	return st->d->listen ? st->d->listen(st, changed, arg, out) : JT_OK;
}

const struct histogram *store_listen_lag(struct store *st)
{
	return st->listen_lag_us;
}

void store_listener_stop(struct store_listener *l)
{
	if (l)
		l->stop(l);
}

enum store_health store_health(struct store *st)
{
	if (store_ping(st) != JT_OK)
		return STORE_UNAVAILABLE;
	return st->d->health ? st->d->health(st) : STORE_HEALTHY;
}
