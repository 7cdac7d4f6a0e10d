/* SPDX-License-Identifier: MIT */
/* Retention: what the store keeps of what can never be used again, and the
 * purge that deletes the rest, run by jeton purge and, in the background,
 * by jeton serve. The store says what is dead (store.h, enum purge_kind);
 * this file says for how long it is kept, and paces the deletions: one
 * transaction of at most LIMIT_PURGE_BATCH rows at a time through the
 * store's writer, with a pause between two, so that the writes of requests
 * keep their turn. */
#include "server/server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define PURGE_FIRST_SECONDS 60   /* the first background purge, after the start */
#define PURGE_EVERY_SECONDS 300  /* the next ones */
#define PURGE_MAX_BATCHES   100  /* per kind and background purge: 100 000 rows */
#define PURGE_PAUSE_MS      10   /* between two transactions of a background purge */
#define PURGE_TICK_MS       1000 /* how often the thread looks at the clock */

const char *retention_kind_name(int kind)
{
	static const char *const names[RETENTION_KINDS] = {
		[PURGE_CODES] = "authorization codes",   [PURGE_SESSIONS] = "console sessions",
		[PURGE_PATS] = "personal access tokens", [PURGE_TOKENS] = "OAuth tokens",
		[PURGE_AUDIT] = "audit events",          [RETENTION_THROTTLE] = "throttle counters",
	};
	return kind >= 0 && kind < RETENTION_KINDS ? names[kind] : "?";
}

static void pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

enum jt_status retention_purge(struct store *st, const struct retention *r,
			       const struct purge_pace *pace, int64_t counts[RETENTION_KINDS])
{
	int64_t now = time_now();
	enum jt_status s = JT_OK;
	for (int k = 0; k < RETENTION_KINDS; k++)
		counts[k] = 0;
	for (int k = 0; k < PURGE_KINDS; k++) {
		enum purge_kind kind = (enum purge_kind)k;
		int64_t cutoff = now - r->keep, n = 0;
		if (kind == PURGE_AUDIT && r->audit_keep == 0)
			continue; /* kept for ever */
		if (kind == PURGE_AUDIT)
			cutoff = now - r->audit_keep;
		if (pace->dry_run) {
			s = store_purge_count(st, kind, cutoff, now, &counts[k]);
			if (s != JT_OK)
				return s;
			continue;
		}
		for (int b = 0; !pace->max_batches || b < pace->max_batches; b++) {
			if (pace->stop && atomic_load(pace->stop))
				return JT_OK;
			s = store_purge(st, kind, cutoff, now, LIMIT_PURGE_BATCH, &n);
			if (s != JT_OK)
				return s;
			counts[k] += n;
			if (n < LIMIT_PURGE_BATCH)
				break;
			if (pace->pause_ms)
				pause_ms(pace->pause_ms);
		}
	}
	/* Login throttling's counters past their window (kept in the store
	 * when nodes share it): they count nothing any more. */
	int64_t now_ms = time_now_ms();
	if (pace->dry_run)
		return store_throttle_dead(st, now_ms, &counts[RETENTION_THROTTLE]);
	for (int b = 0; !pace->max_batches || b < pace->max_batches; b++) {
		int64_t n = 0;
		if (pace->stop && atomic_load(pace->stop))
			return JT_OK;
		s = store_throttle_purge(st, now_ms, LIMIT_PURGE_BATCH, &n);
		if (s != JT_OK)
			return s;
		counts[RETENTION_THROTTLE] += n;
		if (n < LIMIT_PURGE_BATCH)
			break;
		if (pace->pause_ms)
			pause_ms(pace->pause_ms);
	}
	/* Sealed refresh successors past their grace window, old device codes:
	 * best effort, as refreshes and new codes sweep them too (a full disk
	 * refuses these writes but not the purge's above). */
	(void)store_sweep_ended(st, time_now());
	bool more = true;
	for (int b = 0; more && (!pace->max_batches || b < pace->max_batches); b++) {
		if (pace->stop && atomic_load(pace->stop))
			break;
		/* The rows are gone either way; the space comes back next time. */
		if (store_reclaim(st, &more) != JT_OK) {
			log_warn("purge: could not give the space freed back to the file system");
			break;
		}
		if (more && pace->pause_ms)
			pause_ms(pace->pause_ms);
	}
	return JT_OK;
}

struct retention_thread {
	struct store *st;
	struct retention r;
	atomic_bool stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
};

/* Waits PURGE_TICK_MS, or less when stopped. */
static void tick(struct retention_thread *t)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += PURGE_TICK_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&t->mu);
	if (!atomic_load(&t->stopping))
		pthread_cond_timedwait(&t->cv, &t->mu, &until);
	pthread_mutex_unlock(&t->mu);
}

/* The schedule follows time_mono_ms(), which the test clock moves. */
static void *run(void *arg)
{
	struct retention_thread *t = arg;
	struct purge_pace pace = {
		.max_batches = PURGE_MAX_BATCHES, .pause_ms = PURGE_PAUSE_MS, .stop = &t->stopping};
	int64_t due = time_mono_ms() + PURGE_FIRST_SECONDS * 1000LL;
	while (!atomic_load(&t->stopping)) {
		tick(t);
		if (atomic_load(&t->stopping) || time_mono_ms() < due)
			continue;
		int64_t counts[RETENTION_KINDS];
		enum jt_status s = retention_purge(t->st, &t->r, &pace, counts);
		due = time_mono_ms() + PURGE_EVERY_SECONDS * 1000LL;
		if (s != JT_OK) {
			log_warn("purge: failed (%s); next try in %d s", jt_status_str(s),
				 PURGE_EVERY_SECONDS);
			continue;
		}
		char line[512];
		size_t used = 0;
		int64_t total = 0;
		for (int k = 0; k < RETENTION_KINDS && used < sizeof line; k++) {
			int n = snprintf(line + used, sizeof line - used, "%s%lld %s",
					 k ? ", " : "", (long long)counts[k],
					 retention_kind_name(k));
			used += n > 0 ? (size_t)n : 0;
			total += counts[k];
		}
		if (total > 0)
			log_info("purge: deleted %s", line);
	}
	return NULL;
}

enum jt_status retention_start(struct store *st, const struct retention *r,
			       struct retention_thread **out)
{
	pthread_condattr_t attr;
	struct retention_thread *t = jt_calloc(1, sizeof *t);
	*out = NULL;
	if (!t)
		return JT_ENOMEM;
	t->st = st;
	t->r = *r;
	atomic_init(&t->stopping, false);
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		log_error("purge: cannot start its thread");
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		jt_free(t);
		return JT_EIO;
	}
	*out = t;
	return JT_OK;
}

void retention_stop(struct retention_thread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stopping, true);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	jt_free(t);
}
