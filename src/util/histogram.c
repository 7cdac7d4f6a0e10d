/* SPDX-License-Identifier: MIT */
/* Histograms for /metrics (see histogram.h). */
#include "util/histogram.h"

#include <stdarg.h>
#include <stdio.h>

const uint64_t histogram_latency_us[HISTOGRAM_LATENCY_BOUNDS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000};

void histogram_observe(struct histogram *h, uint64_t value)
{
	size_t i = 0;
	while (i < h->nbounds && value > h->bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, value, memory_order_relaxed);
}

/* printf at the end of out; once something does not fit, nothing more is
 * written (*used = len), so that the text never ends in a cut line. */
static void emit(char *out, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out + *used, len - *used, fmt, ap);
	va_end(ap);
	*used = w > 0 && (size_t)w < len - *used ? *used + (size_t)w : len;
}

void histogram_format(const struct histogram *h, const char *name, const char *labels, double scale,
		      char *out, size_t len, size_t *used)
{
	unsigned long long total = 0;
	const char *sep = *labels ? "," : "";
	for (size_t i = 0; i <= h->nbounds; i++) {
		total += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
		if (i < h->nbounds)
			emit(out, len, used, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			     (double)h->bounds[i] / scale, total);
		else
			emit(out, len, used, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
			     total);
	}
	double sum = (double)atomic_load_explicit(&h->sum, memory_order_relaxed) / scale;
	const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
	emit(out, len, used, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name, open, labels, close,
	     sum, name, open, labels, close, total);
}
