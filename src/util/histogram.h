/* SPDX-License-Identifier: MIT */
/* Lock-free histograms for /metrics: fixed bucket bounds, counts kept with
 * relaxed atomic adds (one per observation and one for the sum), written
 * out in the Prometheus text format. */
#ifndef JETON_UTIL_HISTOGRAM_H
#define JETON_UTIL_HISTOGRAM_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BOUNDS 16

struct histogram {
	const uint64_t *bounds; /* ascending upper bounds, inclusive; +Inf after them */
	size_t nbounds;         /* at most HISTOGRAM_MAX_BOUNDS */
	atomic_uint_fast64_t counts[HISTOGRAM_MAX_BOUNDS + 1];
	atomic_uint_fast64_t sum;
};

/* Latency bounds in microseconds, for answers that mostly take well under
 * a millisecond: 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100, 250 ms, 1 s. */
#define HISTOGRAM_LATENCY_BOUNDS 11
extern const uint64_t histogram_latency_us[HISTOGRAM_LATENCY_BOUNDS];

void histogram_observe(struct histogram *h, uint64_t value);

/* Appends name_bucket{labels,le="…"} (cumulative), name_sum and name_count
 * to out (used bytes of len); labels may be "" and scale divides values
 * and bounds (1e6: microseconds shown as seconds). Stops quietly when out
 * is full. */
void histogram_format(const struct histogram *h, const char *name, const char *labels, double scale,
		      char *out, size_t len, size_t *used);

#endif
