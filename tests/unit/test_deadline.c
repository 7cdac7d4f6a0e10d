/* SPDX-License-Identifier: MIT */
/* src/http/deadline.c: the connections each client address may hold. The
 * connections here have no socket (fd -1): shutting one down does nothing. */
#include "check.h"
#include "http/http_int.h"

#include <sodium.h>

#define MAX_OPEN 64

static void key_of(int n, uint8_t key[16])
{
	memset(key, 0, 16);
	key[10] = key[11] = 0xff;
	key[14] = (uint8_t)(n >> 8);
	key[15] = (uint8_t)n;
}

static struct deadline_conn *open_from(struct deadlines *d, int n, bool proxy)
{
	uint8_t key[16];
	key_of(n, key);
	return deadline_open(d, -1, key, proxy);
}

static bool admit(struct deadlines *d, struct deadline_conn *c, int client)
{
	uint8_t key[16];
	key_of(client, key);
	return deadline_admit(d, c, client < 0 ? NULL : key);
}

TEST(a_peer_holds_at_most_its_share)
{
	struct deadlines *d = NULL;
	if (!CHECK_EQ_INT(deadlines_start(MAX_OPEN, 2, &d), JT_OK))
		return;
	struct deadline_conn *a1 = open_from(d, 1, false), *a2 = open_from(d, 1, false);
	struct deadline_conn *a3 = open_from(d, 1, false), *b = open_from(d, 2, false);
	CHECK(admit(d, a1, 1));
	CHECK(admit(d, a2, 1));
	CHECK(!admit(d, a3, 1)); /* shut down as it opened */
	CHECK(admit(d, b, 2));
	deadline_close(d, a1);
	deadline_close(d, a3);
	struct deadline_conn *a4 = open_from(d, 1, false);
	CHECK(admit(d, a4, 1));
	deadline_close(d, a2);
	deadline_close(d, a4);
	deadline_close(d, b);
	deadlines_stop(d);
}

TEST(a_proxy_connection_counts_against_the_client_of_its_latest_request)
{
	struct deadlines *d = NULL;
	if (!CHECK_EQ_INT(deadlines_start(MAX_OPEN, 2, &d), JT_OK))
		return;
	struct deadline_conn *p[4];
	for (int i = 0; i < 4; i++)
		p[i] = open_from(d, 9, true); /* the proxy's own: not counted */
	CHECK(admit(d, p[0], 1));
	CHECK(admit(d, p[1], 1));
	CHECK(!admit(d, p[2], 1)); /* client 1 holds two already */
	CHECK(admit(d, p[2], 2));  /* the next request on it is client 2's */
	CHECK(admit(d, p[3], 9));  /* the proxy itself is never counted */
	CHECK(admit(d, p[3], -1));
	CHECK(admit(d, p[0], 2)); /* client 1 is down to one */
	CHECK(admit(d, p[3], 1));
	CHECK(!admit(d, p[1], 2)); /* client 2 holds p[0] and p[2] */
	for (int i = 0; i < 4; i++)
		deadline_close(d, p[i]);
	deadlines_stop(d);
}

/* Addresses come and go in a pseudo-random order, many sharing probe
 * sequences: every admission is what the counts say it should be. At most
 * MAX_OPEN / 2 are open, below where the longest waiting would be shed. */
TEST(counts_stay_right_as_addresses_come_and_go)
{
	enum {
		ADDRESSES = 50,
		SHARE = 3,
		ROUNDS = 20000
	};
	struct deadlines *d = NULL;
	struct deadline_conn *held[MAX_OPEN / 2] = {0};
	int from[MAX_OPEN / 2], count[ADDRESSES] = {0};
	uint32_t seed = 12345;
	if (!CHECK_EQ_INT(deadlines_start(MAX_OPEN, SHARE, &d), JT_OK))
		return;
	int wrong = 0;
	for (int round = 0; round < ROUNDS; round++) {
		seed = seed * 1103515245u + 12345u;
		int slot = (int)((seed >> 8) % (MAX_OPEN / 2));
		if (held[slot]) {
			deadline_close(d, held[slot]);
			held[slot] = NULL;
			count[from[slot]]--;
			continue;
		}
		int a = (int)((seed >> 16) % ADDRESSES);
		held[slot] = open_from(d, a, false);
		from[slot] = a;
		wrong += admit(d, held[slot], a) != (++count[a] <= SHARE);
	}
	CHECK_EQ_INT(wrong, 0);
	for (int i = 0; i < MAX_OPEN / 2; i++)
		deadline_close(d, held[i]);
	deadlines_stop(d);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(a_peer_holds_at_most_its_share);
	RUN(a_proxy_connection_counts_against_the_client_of_its_latest_request);
	RUN(counts_stay_right_as_addresses_come_and_go);
	return check_summary(__FILE__);
}
