/* SPDX-License-Identifier: MIT */
/* Total deadlines for slow clients, and shedding when connections run
 * short (see http_int.h). A socket is closed with shutdown(2): the
 * library's own loop then reads the end of stream and releases the
 * connection the usual way. The list is changed only under the mutex, and
 * the library tells deadline_close before it closes the socket, so a
 * shutdown never reaches a descriptor that was reused. */
#include "http/http_int.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#define SWEEP_MS 250 /* how late past its deadline a connection may be closed */

struct deadline_conn {
	struct deadline_conn *prev, *next;
	int fd;
	bool shut;                 /* shut down by us; under mu */
	atomic_int_fast64_t since; /* ms the wait for the client began; 0: not waiting */
	atomic_int_fast64_t until; /* ms the wait must end by; 0: no deadline */
};

struct deadlines {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct deadline_conn *head;
	int open, shut; /* connections tracked, and those of them already shut */
	int high_water; /* past this many open, a new one sheds the longest waiting */
	bool stopping;
	pthread_t thread;
};

/* Real time, not the test clock: a network deadline is about the wire. */
static int64_t now_ms(void)
{
	return time_mono_us() / 1000;
}

static void shut(struct deadlines *d, struct deadline_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->shut = true;
	d->shut++;
}

/* Under mu: shuts the connection that has waited longest for its client. A
 * legitimate client sends its request at once; one that holds a slot
 * without finishing it is the first to go. */
static void shed_one(struct deadlines *d)
{
	struct deadline_conn *oldest = NULL;
	int64_t oldest_since = 0;
	for (struct deadline_conn *c = d->head; c; c = c->next) {
		int64_t since = atomic_load_explicit(&c->since, memory_order_relaxed);
		if (c->shut || since == 0 || (oldest && since >= oldest_since))
			continue;
		oldest = c;
		oldest_since = since;
	}
	if (oldest)
		shut(d, oldest);
}

static void *sweeper(void *arg)
{
	struct deadlines *d = arg;
	pthread_mutex_lock(&d->mu);
	while (!d->stopping) {
		int64_t now = now_ms();
		for (struct deadline_conn *c = d->head; c; c = c->next) {
			int64_t until = atomic_load_explicit(&c->until, memory_order_relaxed);
			if (!c->shut && until && now >= until)
				shut(d, c);
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

enum jt_status deadlines_start(int max_open, struct deadlines **out)
{
	pthread_condattr_t attr;
	struct deadlines *d = jt_calloc(1, sizeof *d);
	*out = NULL;
	if (!d)
		return JT_ENOMEM;
	d->high_water = max_open - LIMIT_CONNECTIONS_SPARE;
	if (d->high_water < max_open / 2)
		d->high_water = max_open / 2;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&d->thread, NULL, sweeper, d) != 0) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		jt_free(d);
		return JT_ENOMEM;
	}
	*out = d;
	return JT_OK;
}

void deadlines_stop(struct deadlines *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	while (d->head) {
		struct deadline_conn *c = d->head;
		d->head = c->next;
		jt_free(c);
	}
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	jt_free(d);
}

struct deadline_conn *deadline_open(struct deadlines *d, int fd)
{
	struct deadline_conn *c = jt_calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	deadline_wait(c, LIMIT_HEAD_SECONDS);
	pthread_mutex_lock(&d->mu);
	c->next = d->head;
	if (d->head)
		d->head->prev = c;
	d->head = c;
	d->open++;
	if (d->open - d->shut > d->high_water)
		shed_one(d);
	pthread_mutex_unlock(&d->mu);
	return c;
}

void deadline_close(struct deadlines *d, struct deadline_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->open--;
	d->shut -= c->shut;
	pthread_mutex_unlock(&d->mu);
	jt_free(c);
}

void deadline_wait(struct deadline_conn *c, int seconds)
{
	if (!c)
		return;
	int64_t now = now_ms();
	atomic_store_explicit(&c->since, now, memory_order_relaxed);
	atomic_store_explicit(&c->until, now + (int64_t)seconds * 1000, memory_order_relaxed);
}

void deadline_busy(struct deadline_conn *c)
{
	if (!c)
		return;
	atomic_store_explicit(&c->until, 0, memory_order_relaxed);
	atomic_store_explicit(&c->since, 0, memory_order_relaxed);
}
