/* SPDX-License-Identifier: MIT */
/* A header-only unit-test harness.
 *
 *   TEST(parses_the_thing) { CHECK_EQ_INT(parse("1"), 1); }
 *   int main(void) { RUN(parses_the_thing); return check_summary(__FILE__); }
 *
 * Every CHECK macro is an expression that is true when the check passed, so
 * a test can stop early: if (!CHECK(p != NULL)) return;
 * A failure prints file:line, the test's name and both values. */
#ifndef JETON_CHECK_H
#define JETON_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define TEST(name) static void name(void)
#define RUN(name) check_run(#name, name)

#define CHECK(cond) check_true(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) \
	check_eq_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) check_eq_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_MEM(a, b, n) check_eq_mem((a), (b), (n), #a, #b, __FILE__, __LINE__)

static int check_total;
static int check_failures;
static const char *check_current = "?";

static inline bool check_record(bool ok, const char *file, int line)
{
	check_total++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: in %s: ", file, line, check_current);
	}
	return ok;
}

static inline bool check_true(bool ok, const char *expr, const char *file, int line)
{
	if (!check_record(ok, file, line))
		fprintf(stderr, "CHECK(%s) failed\n", expr);
	return ok;
}

static inline bool check_eq_int(long long a, long long b, const char *ea, const char *eb,
				const char *file, int line)
{
	if (!check_record(a == b, file, line))
		fprintf(stderr, "%s == %s failed: %lld != %lld\n", ea, eb, a, b);
	return a == b;
}

static inline bool check_eq_str(const char *a, const char *b, const char *ea, const char *eb,
				const char *file, int line)
{
	bool ok = (a && b) ? strcmp(a, b) == 0 : a == b;
	if (!check_record(ok, file, line))
		fprintf(stderr, "%s == %s failed: \"%s\" != \"%s\"\n", ea, eb,
			a ? a : "(null)", b ? b : "(null)");
	return ok;
}

static inline void check_hex(const char *label, const void *p, size_t n)
{
	const unsigned char *u = p;
	fprintf(stderr, "  %s:", label);
	for (size_t i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02x", u[i]);
	fprintf(stderr, n > 64 ? " ...\n" : "\n");
}

static inline bool check_eq_mem(const void *a, const void *b, size_t n, const char *ea,
				const char *eb, const char *file, int line)
{
	bool ok = memcmp(a, b, n) == 0;
	if (!check_record(ok, file, line)) {
		fprintf(stderr, "%s == %s failed (%zu bytes):\n", ea, eb, n);
		check_hex(ea, a, n);
		check_hex(eb, b, n);
	}
	return ok;
}

static inline void check_run(const char *name, void (*fn)(void))
{
	check_current = name;
	fn();
	check_current = "?";
}

/* Prints "test_x: N checks, M failed"; returns the process's exit status. */
static inline int check_summary(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t len = strcspn(base, ".");
	printf("%.*s: %d checks, %d failed\n", (int)len, base, check_total, check_failures);
	if (check_total == 0)
		return 1; /* a test program that checked nothing is broken */
	return check_failures ? 1 : 0;
}

#endif
