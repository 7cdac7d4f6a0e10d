/* SPDX-License-Identifier: MIT */
/* Nodes telling each other what they changed, through PostgreSQL's
 * LISTEN/NOTIFY.
 *
 * Telling: a transaction whose statements change what nodes cache
 * (query.c marks them; exec.c notes them on the connection) sends one
 * NOTIFY with the kinds and the wall-clock time in microseconds ("1
 * 1764470000123456": the listener measures how late it heard), just
 * before its COMMIT
 * (pg_commit): PostgreSQL delivers it on commit, never for a transaction
 * rolled back, and a batch of the writer tells once whatever it holds.
 *
 * Hearing (store_listen): a thread with a connection of its own, outside
 * the pool, named jeton-listen (application_name), LISTENs and waits on
 * its socket and on a stop pipe with poll(). It pings the server when it
 * has heard nothing for LIMIT_PG_LISTEN_PING_MS, so that a connection that
 * died silently (a firewall forgetting it) is replaced within seconds
 * instead of never. When the connection is lost it reconnects by itself,
 * after 0.1 s and then backing off up to LIMIT_PG_LISTEN_RETRY_MS; each
 * time it (re)connects it reports every kind, since what was committed
 * while it was away went unheard. Meanwhile the caches' own lifetime
 * (LIMIT_CACHE_TTL_MS) bounds how stale they are. Waits use the real
 * monotonic clock: the test clock must not fire them. */
#include "store/postgres_int.h"
#include "util/histogram.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG_CHANNEL             "jeton_changes"
#define PG_LISTEN_NAME         "jeton-listen" /* its application_name, for pg_stat_activity */
#define PG_LISTEN_RETRY_MIN_MS 100

/* The real wall clock (not the test clock: nodes may have their own). */
static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum jt_status pg_notify(struct store_conn *c, unsigned kinds)
{
	char sql[80];
	snprintf(sql, sizeof sql, "NOTIFY " PG_CHANNEL ", '%u %lld'", kinds, (long long)wall_us());
	return pg_exec(c, sql);
}

struct pg_listener {
	struct store_listener base;
	struct pg_store *pg;
	store_changed changed;
	void *arg;
	int stop[2]; /* a pipe: written to stop */
	pthread_t thread;
};

enum wait_result {
	READY,
	TIMED_OUT,
	STOPPED,
	FAILED,
};

static int64_t now_ms(void)
{
	return time_mono_us() / 1000;
}

/* Waits until sock (-1: none) is ready for events, the listener is
 * stopped, or deadline (now_ms) passes. */
static enum wait_result wait_for(struct pg_listener *l, int sock, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = l->stop[0], .events = POLLIN},
				      {.fd = sock, .events = events}};
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return TIMED_OUT;
		int n = poll(p, sock >= 0 ? 2 : 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return FAILED;
		if (n > 0 && p[0].revents)
			return STOPPED;
		if (n > 0)
			return READY; /* readable, or an error that the next libpq call reports */
	}
}

/* The kinds of a payload "KINDS SENT_US" (every kind when it is not
 * one); notes how late it came when it says when it was sent. */
static unsigned heard(struct pg_listener *l, const char *payload)
{
	const char *space = strchr(payload, ' ');
	size_t kinds_len = space ? (size_t)(space - payload) : strlen(payload);
	int64_t k = 0, sent = 0;
	if (text_parse_i64(payload, kinds_len, 1, STORE_CHANGED_ALL, &k) != JT_OK)
		return STORE_CHANGED_ALL;
	if (space && text_parse_i64(space + 1, strlen(space + 1), 1, INT64_MAX, &sent) == JT_OK) {
		int64_t late = wall_us() - sent;
		histogram_observe(&l->pg->listen_lag_us, (uint64_t)(late > 0 ? late : 0));
	}
	return (unsigned)k;
}

/* Hands the notifications read so far to the listener's callback, in
 * one call. */
static void deliver(struct pg_listener *l, PGconn *conn)
{
	unsigned kinds = 0;
	PGnotify *n;
	while ((n = PQnotifies(conn)) != NULL) {
		kinds |= heard(l, n->extra);
		PQfreemem(n);
	}
	if (kinds)
		l->changed(l->arg, kinds);
}

/* Waits for the reply to the command sent on conn, hearing notifications
 * meanwhile. READY once it succeeded. */
static enum wait_result await_reply(struct pg_listener *l, PGconn *conn, int64_t deadline)
{
	bool ok = true;
	for (;;) {
		if (!PQconsumeInput(conn))
			return FAILED;
		deliver(l, conn);
		while (!PQisBusy(conn)) {
			PGresult *r = PQgetResult(conn);
			if (!r)
				return ok ? READY : FAILED;
			ExecStatusType s = PQresultStatus(r);
			ok = ok && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
			PQclear(r);
		}
		enum wait_result w = wait_for(l, PQsocket(conn), POLLIN, deadline);
		if (w != READY)
			return w;
	}
}

/* Connects without blocking (a stop is heard at once) and LISTENs. */
static enum wait_result connect_listening(struct pg_listener *l, PGconn **out)
{
	/* After the location: its application_name gives way to ours. */
	const char *const keys[] = {"fallback_application_name", "client_encoding", "dbname",
				    "application_name", NULL};
	const char *const values[] = {"jeton", "UTF8", l->pg->conninfo, PG_LISTEN_NAME, NULL};
	PGconn *conn = PQconnectStartParams(keys, values, 1);
	int64_t deadline = now_ms() + (int64_t)LIMIT_PG_CONNECT_SECONDS * 1000;

	*out = conn;
	if (!conn || PQstatus(conn) == CONNECTION_BAD)
		return FAILED;
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	while (poll_status != PGRES_POLLING_OK) {
		if (poll_status == PGRES_POLLING_FAILED)
			return FAILED;
		enum wait_result w =
			wait_for(l, PQsocket(conn),
				 poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
		if (w != READY)
			return w;
		poll_status = PQconnectPoll(conn);
	}
	PQsetNoticeProcessor(conn, pg_notice_drop, NULL); /* a terminated session's FATAL */
	if (!PQsendQuery(conn, "LISTEN " PG_CHANNEL))
		return FAILED;
	return await_reply(l, conn, now_ms() + LIMIT_PG_WAIT_MS);
}

/* Hears notifications until the connection is lost (FAILED) or the
 * listener stops (STOPPED). */
static enum wait_result hear(struct pg_listener *l, PGconn *conn)
{
	int64_t quiet_until = now_ms() + LIMIT_PG_LISTEN_PING_MS;
	for (;;) {
		enum wait_result w = wait_for(l, PQsocket(conn), POLLIN, quiet_until);
		if (w == TIMED_OUT) {
			/* Quiet for a while: does the connection still work? */
			if (!PQsendQuery(conn, "SELECT 1"))
				return FAILED;
			w = await_reply(l, conn, now_ms() + LIMIT_PG_WAIT_MS);
			if (w != READY)
				return w == STOPPED ? STOPPED : FAILED;
		} else if (w == READY) {
			if (!PQconsumeInput(conn))
				return FAILED; /* ended: pg_terminate_backend, a restart */
			deliver(l, conn);
		} else {
			return w;
		}
		if (PQstatus(conn) != CONNECTION_OK)
			return FAILED;
		quiet_until = now_ms() + LIMIT_PG_LISTEN_PING_MS;
	}
}

static void *listen_thread(void *arg)
{
	struct pg_listener *l = arg;
	int64_t retry_ms = 0;
	bool lost = false; /* told the log, and not back yet */

	for (;;) {
		if (retry_ms && wait_for(l, -1, 0, now_ms() + retry_ms) == STOPPED)
			break;
		PGconn *conn = NULL;
		enum wait_result w = connect_listening(l, &conn);
		if (w == READY) {
			if (lost)
				log_info("postgres: hearing other nodes' changes again");
			lost = false;
			retry_ms = 0;
			/* What came while it was away went unheard. */
			l->changed(l->arg, STORE_CHANGED_ALL);
			w = hear(l, conn);
		}
		if (w != STOPPED && !lost) {
			char msg[256];
			pg_one_line(conn ? PQerrorMessage(conn) : "out of memory", msg, sizeof msg);
			log_warn("postgres: cannot hear other nodes' changes (%s): they show "
				 "within %d ms until the connection is back",
				 *msg ? msg : "no answer", LIMIT_CACHE_TTL_MS);
			lost = true;
		}
		PQfinish(conn);
		if (w == STOPPED)
			break;
		retry_ms = retry_ms ? retry_ms * 2 : PG_LISTEN_RETRY_MIN_MS;
		if (retry_ms > LIMIT_PG_LISTEN_RETRY_MS)
			retry_ms = LIMIT_PG_LISTEN_RETRY_MS;
	}
	return NULL;
}

static void listener_stop(struct store_listener *base)
{
	struct pg_listener *l = (struct pg_listener *)base;
	char b = 1;
	while (write(l->stop[1], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(l->thread, NULL);
	close(l->stop[0]);
	close(l->stop[1]);
	jt_free(l);
}

enum jt_status pg_listen(struct store *base, store_changed changed, void *arg,
			 struct store_listener **out)
{
	struct pg_listener *l = jt_calloc(1, sizeof *l);
	*out = NULL;
	if (!l)
		return JT_ENOMEM;
	l->base.stop = listener_stop;
	l->pg = pg_to(base);
	l->pg->listen_lag_us.bounds = histogram_latency_us;
	l->pg->listen_lag_us.nbounds = HISTOGRAM_LATENCY_BOUNDS;
	base->listen_lag_us = &l->pg->listen_lag_us;
	l->changed = changed;
	l->arg = arg;
	if (pipe2(l->stop, O_CLOEXEC) != 0) {
		log_error("postgres: cannot hear other nodes' changes: %s", strerror(errno));
		jt_free(l);
		return JT_EIO;
	}
	if (pthread_create(&l->thread, NULL, listen_thread, l) != 0) {
		log_error("postgres: cannot start the thread hearing other nodes' changes");
		close(l->stop[0]);
		close(l->stop[1]);
		jt_free(l);
		return JT_EIO;
	}
	*out = &l->base;
	return JT_OK;
}
