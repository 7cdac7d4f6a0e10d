/* SPDX-License-Identifier: MIT */
/* Total deadlines for slow clients, shedding when connections run short,
 * and the connections each client address may hold (see http_int.h). A
 * socket is closed with shutdown(2): the library's own loop then reads the
 * end of stream and releases the connection the usual way. The list and
 * the counts are changed only under the mutex, and the library tells
 * deadline_close before it closes the socket, so a shutdown never reaches
 * a descriptor that was reused. */
#include "http/http_int.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SWEEP_MS 250 /* how late past its deadline a connection may be closed */

struct deadline_conn {
	struct deadline_conn *prev, *next;
	int fd;
	atomic_bool shut;          /* shut down by us; set under mu */
	bool proxy;                /* the peer is a trusted proxy */
	bool counted;              /* counts against client; under mu */
	uint8_t peer[16];          /* http_address_key of the peer */
	uint8_t client[16];        /* ... of the address it counts against */
	atomic_int_fast64_t since; /* ms the wait for the client began; 0: not waiting */
	atomic_int_fast64_t until; /* ms the wait must end by; 0: no deadline */
};

/* The connections one address holds: a slot of an open-addressing table
 * keyed by a keyed hash (SipHash), so that addresses a client picks (an
 * IPv6 /64 holds many) cannot pile up in one probe sequence. */
struct address_count {
	uint8_t addr[16];
	int n; /* 0: a free slot */
};

struct deadlines {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct deadline_conn *head;
	int open, shut;  /* connections tracked, and those of them already shut */
	int high_water;  /* past this many open, a new one sheds the longest waiting */
	int per_address; /* connections one client address may hold */
	struct address_count *counts;
	size_t ncounts;   /* slots: a power of two, twice the connections or more */
	size_t addresses; /* slots in use */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
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
	atomic_store_explicit(&c->shut, true, memory_order_relaxed);
	d->shut++;
}

/* Under mu: the slot of addr, or the free slot where it would go. */
static size_t count_slot(const struct deadlines *d, const uint8_t addr[16])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	crypto_shorthash(h, addr, 16, d->hash_key);
	memcpy(&v, h, sizeof v);
	size_t mask = d->ncounts - 1, i = (size_t)v & mask;
	while (d->counts[i].n && memcmp(d->counts[i].addr, addr, 16) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Under mu: one more connection for addr; returns how many it holds, or 0
 * when the table has no room (more connections than the library allows:
 * it is then not counted). */
static int count_add(struct deadlines *d, const uint8_t addr[16])
{
	struct address_count *a = &d->counts[count_slot(d, addr)];
	if (!a->n) {
		if (d->addresses >= d->ncounts / 2)
			return 0;
		d->addresses++;
		memcpy(a->addr, addr, 16);
	}
	return ++a->n;
}

/* Under mu: one connection less for addr. When its slot empties, the
 * slots after it up to the next free one are placed again, so that no
 * lookup stops early at the hole. */
static void count_sub(struct deadlines *d, const uint8_t addr[16])
{
	size_t mask = d->ncounts - 1, i = count_slot(d, addr);
	if (!d->counts[i].n || --d->counts[i].n)
		return;
	d->addresses--;
	for (i = (i + 1) & mask; d->counts[i].n; i = (i + 1) & mask) {
		struct address_count moved = d->counts[i];
		d->counts[i].n = 0;
		d->counts[count_slot(d, moved.addr)] = moved; /* its first free slot */
	}
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
		if (atomic_load_explicit(&c->shut, memory_order_relaxed) || since == 0 ||
		    (oldest && since >= oldest_since))
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
			if (!atomic_load_explicit(&c->shut, memory_order_relaxed) && until &&
			    now >= until)
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

enum jt_status deadlines_start(int max_open, int per_address, struct deadlines **out)
{
	pthread_condattr_t attr;
	struct deadlines *d = jt_calloc(1, sizeof *d);
	*out = NULL;
	if (!d)
		return JT_ENOMEM;
	d->high_water = max_open - LIMIT_CONNECTIONS_SPARE;
	if (d->high_water < max_open / 2)
		d->high_water = max_open / 2;
	d->per_address = per_address;
	for (d->ncounts = 64; d->ncounts < 2 * (size_t)max_open;)
		d->ncounts *= 2;
	d->counts = jt_calloc(d->ncounts, sizeof *d->counts);
	if (!d->counts) {
		jt_free(d);
		return JT_ENOMEM;
	}
	randombytes_buf(d->hash_key, sizeof d->hash_key);
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&d->thread, NULL, sweeper, d) != 0) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		jt_free(d->counts);
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
	jt_free(d->counts);
	jt_free(d);
}

/* Under mu: c counts against client from now on (none: NULL). False when
 * client then holds more connections than it may. */
static bool count_against(struct deadlines *d, struct deadline_conn *c, const uint8_t client[16])
{
	if (c->counted && client && memcmp(c->client, client, 16) == 0)
		return true; /* the same client again: nothing changes */
	if (c->counted)
		count_sub(d, c->client);
	c->counted = false;
	if (!client)
		return true;
	int n = count_add(d, client);
	c->counted = n > 0;
	memcpy(c->client, client, 16);
	return n <= d->per_address;
}

struct deadline_conn *deadline_open(struct deadlines *d, int fd, const uint8_t peer[16], bool proxy)
{
	struct deadline_conn *c = jt_calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->proxy = proxy;
	if (peer)
		memcpy(c->peer, peer, 16);
	deadline_wait(c, LIMIT_HEAD_SECONDS);
	pthread_mutex_lock(&d->mu);
	c->next = d->head;
	if (d->head)
		d->head->prev = c;
	d->head = c;
	d->open++;
	if (!count_against(d, c, proxy ? NULL : peer))
		shut(d, c); /* its address holds its share already */
	else if (d->open - d->shut > d->high_water)
		shed_one(d);
	pthread_mutex_unlock(&d->mu);
	return c;
}

bool deadline_admit(struct deadlines *d, struct deadline_conn *c, const uint8_t client[16])
{
	bool within = true;
	if (!c)
		return true;
	if (c->proxy) { /* only a proxy's connections change addresses: no lock otherwise */
		if (client && memcmp(client, c->peer, 16) == 0)
			client = NULL; /* the proxy's own request */
		pthread_mutex_lock(&d->mu);
		within = count_against(d, c, client);
		pthread_mutex_unlock(&d->mu);
	}
	/* A shut connection's answer could not be sent. */
	return within && !atomic_load_explicit(&c->shut, memory_order_relaxed);
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
	d->shut -= atomic_load_explicit(&c->shut, memory_order_relaxed);
	count_against(d, c, NULL);
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
