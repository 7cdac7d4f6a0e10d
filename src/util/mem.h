/* SPDX-License-Identifier: MIT */
/* All of jeton's heap allocation goes through here, so a test can make the
 * Nth allocation fail and check that every error path cleans up. */
#ifndef JETON_MEM_H
#define JETON_MEM_H
#include <stddef.h>

void *jt_alloc(size_t n);              /* NULL on failure */
void *jt_calloc(size_t count, size_t n); /* zeroed; NULL on failure or overflow */
void *jt_realloc(void *p, size_t n);   /* on failure p is untouched and NULL is returned */
char *jt_strdup(const char *s);        /* NULL if s is NULL or on failure */
char *jt_strndup(const char *s, size_t s_len);
void jt_free(void *p);                 /* jt_free(NULL) does nothing */

/* Tests: make the allocation numbered `nth` (1-based, counted from now) and
 * every one after it fail; 0 turns failures off. */
void jt_mem_fail_after(long nth);

#endif
