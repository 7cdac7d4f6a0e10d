/* SPDX-License-Identifier: MIT */
/* src/util/mem.c: allocation wrappers and fault injection, and the error
 * paths fault injection reaches: each failure must come back as an error
 * status with nothing leaked (the ASan build checks the leaks). */
#include "auth/auth.h"
#include "check.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "tmpdir.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdint.h>
#include <string.h>

/* How far the fault-injection loops go: past the number of allocations any
 * of the paths below makes, so the last attempts succeed (opening a store
 * makes about a hundred: they grow with its statements). */
#define MAX_FAULTS 256

TEST(wrappers_allocate_and_free)
{
	char *a = jt_alloc(16);
	if (CHECK(a != NULL))
		memset(a, 'x', 16);
	unsigned char *z = jt_calloc(4, 8);
	if (CHECK(z != NULL)) {
		int nonzero = 0;
		for (int i = 0; i < 32; i++)
			nonzero += z[i] != 0;
		CHECK_EQ_INT(nonzero, 0);
	}
	char *grown = jt_realloc(a, 4096);
	if (CHECK(grown != NULL)) {
		a = grown;
		CHECK_EQ_MEM(a, "xxxxxxxxxxxxxxxx", 16);
	}
	char *d = jt_strdup("hello");
	CHECK_EQ_STR(d, "hello");
	char *nd = jt_strndup("hello world", 5);
	CHECK_EQ_STR(nd, "hello");
	CHECK(jt_strdup(NULL) == NULL);
	CHECK(jt_strndup(NULL, 3) == NULL);
	void *zero = jt_alloc(0); /* a size of 0 still gives a pointer to free */
	CHECK(zero != NULL);
	jt_free(zero);
	jt_free(nd);
	jt_free(d);
	jt_free(z);
	jt_free(a);
	jt_free(NULL);
}

TEST(nth_allocation_and_every_later_one_fail)
{
	jt_mem_fail_after(3);
	void *a = jt_alloc(8);
	void *b = jt_calloc(1, 8);
	void *c = jt_alloc(8);
	void *d = jt_strdup("x");
	jt_mem_fail_after(0);
	void *e = jt_alloc(8);
	CHECK(a != NULL);
	CHECK(b != NULL);
	CHECK(c == NULL);
	CHECK(d == NULL);
	CHECK(e != NULL);
	jt_free(a);
	jt_free(b);
	jt_free(e);
}

TEST(first_allocation_can_fail)
{
	jt_mem_fail_after(1);
	void *a = jt_alloc(8);
	void *b = jt_calloc(2, 8);
	char *c = jt_strndup("abc", 3);
	jt_mem_fail_after(0);
	CHECK(a == NULL);
	CHECK(b == NULL);
	CHECK(c == NULL);
}

TEST(failed_realloc_leaves_the_block_alone)
{
	char *p = jt_alloc(8);
	if (!CHECK(p != NULL))
		return;
	memcpy(p, "abcdefg", 8);
	jt_mem_fail_after(1);
	char *q = jt_realloc(p, 1 << 20);
	jt_mem_fail_after(0);
	CHECK(q == NULL);
	CHECK_EQ_STR(p, "abcdefg");
	jt_free(p);
}

TEST(calloc_overflow_gives_null)
{
	void *p = jt_calloc(SIZE_MAX / 2, 4);
	CHECK(p == NULL);
	jt_free(p);
	p = jt_calloc(4, SIZE_MAX / 2);
	CHECK(p == NULL);
	jt_free(p);
}

TEST(store_open_fails_cleanly_at_every_allocation)
{
	struct tmpdir d;
	char path[128];
	int failures = 0, successes = 0;
	if (!CHECK(tmpdir_make(&d)))
		return;
	tmpdir_file(&d, "jeton.db", path, sizeof path);
	for (long n = 1; n <= MAX_FAULTS && successes == 0; n++) {
		static char sentinel;
		struct store *s = (struct store *)(void *)&sentinel;
		jt_mem_fail_after(n);
		enum jt_status status = store_open(path, 4, &s);
		jt_mem_fail_after(0);
		if (status == JT_OK) {
			successes++;
			CHECK(s != NULL);
			CHECK_EQ_INT(store_migrate(s), JT_OK);
			store_close(s);
			continue;
		}
		failures++;
		if (!CHECK_EQ_INT(status, JT_ENOMEM) || !CHECK(s == NULL))
			fprintf(stderr, "  allocation %ld failed\n", n);
	}
	CHECK(failures >= 1);
	CHECK_EQ_INT(successes, 1);
	tmpdir_remove(&d);
}

/* A migrated store with alice (an editor of two spaces) and a PAT of hers. */
struct world {
	struct tmpdir dir;
	struct store *st;
	struct user alice;
	char token[TOKEN_LEN + 1];
	char header[TOKEN_LEN + 16];
};

static bool world_make(struct world *w)
{
	char path[128];
	struct pat pat;
	memset(w, 0, sizeof *w);
	if (!CHECK(tmpdir_make(&w->dir)))
		return false;
	tmpdir_file(&w->dir, "jeton.db", path, sizeof path);
	if (!CHECK_EQ_INT(store_open(path, 2, &w->st), JT_OK) ||
	    !CHECK_EQ_INT(store_migrate(w->st), JT_OK))
		return false;
	snprintf(w->alice.email, sizeof w->alice.email, "alice@example.com");
	snprintf(w->alice.friendly_name, sizeof w->alice.friendly_name, "Alice");
	w->alice.created_at = time_now();
	if (!CHECK_EQ_INT(store_user_insert(w->st, &w->alice), JT_OK))
		return false;
	for (int i = 0; i < 2; i++) {
		struct space s;
		memset(&s, 0, sizeof s);
		snprintf(s.name, sizeof s.name, "space-%d", i);
		s.created_at = time_now();
		if (!CHECK_EQ_INT(store_space_insert(w->st, &s), JT_OK) ||
		    !CHECK_EQ_INT(store_member_put(w->st, s.id, w->alice.id, "editor"), JT_OK))
			return false;
	}
	if (!CHECK_EQ_INT(
		    pat_create(w->st, w->alice.id, "ci", SCOPE_READ_CONTENT, 0, w->token, &pat),
		    JT_OK))
		return false;
	snprintf(w->header, sizeof w->header, "Bearer %s", w->token);
	return true;
}

static void world_free(struct world *w)
{
	store_close(w->st);
	tmpdir_remove(&w->dir);
}

TEST(auth_new_fails_cleanly)
{
	static char sentinel;
	struct auth *a = (struct auth *)(void *)&sentinel;
	jt_mem_fail_after(1);
	enum jt_status status = auth_new(NULL, &a);
	jt_mem_fail_after(0);
	CHECK_EQ_INT(status, JT_ENOMEM);
	CHECK(a == NULL);
}

TEST(verification_fails_cleanly_at_every_allocation)
{
	struct world w;
	struct auth *a = NULL;
	int failures = 0, successes = 0;
	if (!world_make(&w) || !CHECK_EQ_INT(auth_new(w.st, &a), JT_OK))
		goto out;
	for (long n = 1; n <= MAX_FAULTS && successes == 0; n++) {
		struct principal *p = NULL;
		auth_invalidate(a); /* load from the store every time */
		jt_mem_fail_after(n);
		enum auth_result r = auth_verify(a, w.header, "192.0.2.1", &p);
		jt_mem_fail_after(0);
		if (r == AUTH_OK) {
			successes++;
			if (CHECK(p != NULL) && CHECK_EQ_INT(p->nspaces, 2))
				CHECK_EQ_INT(p->user.id, w.alice.id);
			auth_release(p);
			continue;
		}
		failures++;
		if (!CHECK_EQ_INT(r, AUTH_UNAVAILABLE) || !CHECK(p == NULL))
			fprintf(stderr, "  allocation %ld failed\n", n);
	}
	/* The principal, the membership list and the spaces are allocated. */
	CHECK(failures >= 3);
	CHECK_EQ_INT(successes, 1);
	/* And with allocations working again the store and cache are intact. */
	struct principal *p = NULL;
	CHECK_EQ_INT(auth_verify(a, w.header, "192.0.2.1", &p), AUTH_OK);
	auth_release(p);
out:
	auth_free(a);
	world_free(&w);
}

TEST(store_lists_fail_cleanly_at_every_allocation)
{
	struct world w;
	int failures = 0, successes = 0;
	if (!world_make(&w))
		goto out;
	for (long n = 1; n <= MAX_FAULTS && successes == 0; n++) {
		static struct membership sentinel;
		struct membership *ms = &sentinel;
		size_t count = 99;
		jt_mem_fail_after(n);
		enum jt_status status = store_memberships_of_user(w.st, w.alice.id, &ms, &count);
		jt_mem_fail_after(0);
		if (status == JT_OK) {
			successes++;
			CHECK_EQ_INT(count, 2);
			store_list_free(ms);
			continue;
		}
		failures++;
		CHECK_EQ_INT(status, JT_ENOMEM);
		CHECK(ms == NULL);
		CHECK_EQ_INT(count, 0);
	}
	CHECK(failures >= 1);
	CHECK_EQ_INT(successes, 1);
out:
	world_free(&w);
}

TEST(touch_that_cannot_be_queued_reports_it)
{
	struct world w;
	struct pat p;
	uint8_t hash[HASH_SHA256_LEN];
	if (!world_make(&w))
		goto out;
	hash_sha256(w.token, TOKEN_LEN, hash);
	if (!CHECK_EQ_INT(store_pat_find_by_hash(w.st, hash, &p), JT_OK))
		goto out;
	jt_mem_fail_after(1);
	enum jt_status status = store_pat_touch(w.st, p.id, 5000, "192.0.2.1");
	jt_mem_fail_after(0);
	CHECK_EQ_INT(status, JT_ENOMEM);
out:
	world_free(&w);
}

TEST(user_permissions_fail_cleanly_at_every_allocation)
{
	struct world w;
	int failures = 0, successes = 0;
	if (!world_make(&w))
		goto out;
	for (long n = 1; n <= MAX_FAULTS && successes == 0; n++) {
		uint64_t instance = 0, held = 0;
		jt_mem_fail_after(n);
		enum jt_status status = auth_user_permissions(w.st, &w.alice, &instance, &held);
		jt_mem_fail_after(0);
		if (status == JT_OK) {
			successes++;
			CHECK_EQ_INT(held, SCOPE_MANAGE_TOKENS | SCOPE_READ_CONTENT |
						   SCOPE_WRITE_CONTENT);
			continue;
		}
		failures++;
		CHECK_EQ_INT(status, JT_ENOMEM);
	}
	CHECK(failures >= 1);
	CHECK_EQ_INT(successes, 1);
out:
	world_free(&w);
}

int main(void)
{
	if (crypto_init() != JT_OK) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	RUN(wrappers_allocate_and_free);
	RUN(nth_allocation_and_every_later_one_fail);
	RUN(first_allocation_can_fail);
	RUN(failed_realloc_leaves_the_block_alone);
	RUN(calloc_overflow_gives_null);
	RUN(store_open_fails_cleanly_at_every_allocation);
	RUN(auth_new_fails_cleanly);
	RUN(verification_fails_cleanly_at_every_allocation);
	RUN(store_lists_fail_cleanly_at_every_allocation);
	RUN(touch_that_cannot_be_queued_reports_it);
	RUN(user_permissions_fail_cleanly_at_every_allocation);
	crypto_shutdown();
	return check_summary(__FILE__);
}
