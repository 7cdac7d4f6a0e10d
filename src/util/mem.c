/* SPDX-License-Identifier: MIT */
/* Allocation wrappers with fault injection for tests. */
#include "util/mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown; /* 0 = never fail */

static int should_fail(void)
{
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (n == 0)
		return 0;
	if (n == 1)
		return 1;
	atomic_fetch_sub(&fail_countdown, 1);
	return 0;
}

void jt_mem_fail_after(long nth)
{
	atomic_store(&fail_countdown, nth);
}

void *jt_alloc(size_t n)
{
	return should_fail() ? NULL : malloc(n ? n : 1);
}

void *jt_calloc(size_t count, size_t n)
{
	/* An impossible size is refused here, not by calloc: sanitizers'
	 * allocators abort on it instead of returning NULL. */
	if (n && count > SIZE_MAX / n)
		return NULL;
	return should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *jt_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *jt_strndup(const char *s, size_t s_len)
{
	if (!s)
		return NULL;
	char *d = jt_alloc(s_len + 1);
	if (!d)
		return NULL;
	memcpy(d, s, s_len);
	d[s_len] = '\0';
	return d;
}

char *jt_strdup(const char *s)
{
	return s ? jt_strndup(s, strlen(s)) : NULL;
}

void jt_free(void *p)
{
	free(p);
}
