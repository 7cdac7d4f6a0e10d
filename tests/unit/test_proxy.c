/* SPDX-License-Identifier: MIT */
/* src/http/proxy.c: trusted proxies and the client address from X-Forwarded-For. */
#include "check.h"
#include "http/http.h"

static struct http_proxies proxies(const char *spec)
{
	struct http_proxies p = {0};
	CHECK_EQ_INT(http_proxies_add(&p, spec), JT_OK);
	return p;
}

/* Checks the client address of a request from peer with X-Forwarded-For xff. */
static void client_is(const struct http_proxies *p, const char *peer, const char *xff,
		      const char *want)
{
	char out[LIMIT_IP_BYTES + 1];
	http_client_address(p, peer, xff, out, sizeof out);
	if (!CHECK_EQ_STR(out, want))
		fprintf(stderr, "  peer %s, X-Forwarded-For \"%s\"\n", peer, xff ? xff : "(none)");
}

TEST(parses_cidrs_separated_by_commas_or_spaces)
{
	struct http_proxies p = proxies("10.0.0.0/8, 192.0.2.7  2001:db8::/32,::1");
	CHECK_EQ_INT(p.n, 4);
	CHECK_EQ_INT(p.cidr[0].prefix, 8);
	CHECK_EQ_INT(p.cidr[1].prefix, 32);
	CHECK_EQ_INT(p.cidr[2].prefix, 32);
	CHECK_EQ_INT(p.cidr[3].prefix, 128);
}

TEST(refuses_what_is_not_a_cidr)
{
	static const char *const bad[] = {"10.0.0.0/33", "::/129",     "10.0.0/8",
					  "example.com", "10.0.0.0/",  "10.0.0.0/8x",
					  "10.0.0.0/-1", "1.2.3.4:80", "10.0.0.0/0008"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct http_proxies p = {0};
		if (!CHECK_EQ_INT(http_proxies_add(&p, bad[i]), JT_EINVAL))
			fprintf(stderr, "  spec %s\n", bad[i]);
	}
}

TEST(refuses_more_than_the_limit)
{
	struct http_proxies p = {0};
	for (int i = 0; i < LIMIT_TRUSTED_PROXIES; i++)
		CHECK_EQ_INT(http_proxies_add(&p, "10.0.0.1"), JT_OK);
	CHECK_EQ_INT(http_proxies_add(&p, "10.0.0.2"), JT_ETOOBIG);
}

TEST(untrusted_peer_is_the_client_whatever_it_forwards)
{
	struct http_proxies p = proxies("10.0.0.0/8");
	client_is(&p, "192.0.2.1", "198.51.100.9", "192.0.2.1");
	client_is(&p, "192.0.2.1", NULL, "192.0.2.1");
	client_is(NULL, "192.0.2.1", "198.51.100.9", "192.0.2.1");
}

TEST(trusted_peer_gives_the_right_most_untrusted_hop)
{
	struct http_proxies p = proxies("10.0.0.0/8");
	client_is(&p, "10.1.2.3", "198.51.100.9", "198.51.100.9");
	/* the client wrote the left part itself: it proves nothing */
	client_is(&p, "10.1.2.3", "6.6.6.6, 198.51.100.9", "198.51.100.9");
	/* a chain of trusted proxies is skipped */
	client_is(&p, "10.1.2.3", "6.6.6.6,198.51.100.9 , 10.9.9.9,10.8.8.8", "198.51.100.9");
	/* no X-Forwarded-For: the proxy itself */
	client_is(&p, "10.1.2.3", NULL, "10.1.2.3");
}

TEST(all_hops_trusted_gives_the_left_most)
{
	struct http_proxies p = proxies("10.0.0.0/8");
	client_is(&p, "10.1.2.3", "10.0.0.5, 10.0.0.6", "10.0.0.5");
}

TEST(invalid_hop_before_the_client_leaves_the_peer)
{
	struct http_proxies p = proxies("10.0.0.0/8");
	client_is(&p, "10.1.2.3", "unknown", "10.1.2.3");
	client_is(&p, "10.1.2.3", "198.51.100.9, 10.0.0.1:8080", "10.1.2.3");
	client_is(&p, "10.1.2.3", "198.51.100.9,", "10.1.2.3");
	client_is(&p, "10.1.2.3", "", "10.1.2.3");
	/* garbage left of the client is the client's own business */
	client_is(&p, "10.1.2.3", "<script>, 198.51.100.9", "198.51.100.9");
}

TEST(ipv6_and_mapped_ipv4)
{
	struct http_proxies p = proxies("2001:db8::/32 127.0.0.0/8");
	client_is(&p, "2001:db8::1", "2001:DB8:0:0::7, 2001:db8::2", "2001:db8::7");
	client_is(&p, "::ffff:127.0.0.1", "198.51.100.9", "198.51.100.9");
	client_is(&p, "2001:db9::1", "198.51.100.9", "2001:db9::1");
	client_is(&p, "127.0.0.1", "::ffff:198.51.100.9", "198.51.100.9");
}

TEST(prefix_bits_that_are_not_whole_bytes)
{
	struct http_proxies p = proxies("192.168.4.0/22");
	client_is(&p, "192.168.7.255", "198.51.100.9", "198.51.100.9");
	client_is(&p, "192.168.8.0", "198.51.100.9", "192.168.8.0");
	p = proxies("0.0.0.0/0");
	client_is(&p, "203.0.113.5", "198.51.100.9", "198.51.100.9");
}

TEST(address_key_is_one_per_address_however_written)
{
	static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 9};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	uint8_t key[16];
	CHECK(http_address_key("198.51.100.9", key));
	CHECK_EQ_MEM(key, v4, 16);
	CHECK(http_address_key("::ffff:198.51.100.9", key));
	CHECK_EQ_MEM(key, v4, 16);
	CHECK(http_address_key("2001:DB8:0::7", key));
	CHECK_EQ_MEM(key, v6, 16);
	CHECK(!http_address_key("198.51.100", key));
	CHECK(!http_address_key("", key));
	CHECK(!http_address_key("example.com", key));
}

TEST(trusted_is_inside_a_trusted_cidr)
{
	struct http_proxies p = proxies("10.0.0.0/8 2001:db8::/32");
	CHECK(http_proxies_trusted(&p, "10.1.2.3"));
	CHECK(http_proxies_trusted(&p, "::ffff:10.1.2.3"));
	CHECK(http_proxies_trusted(&p, "2001:db8::1"));
	CHECK(!http_proxies_trusted(&p, "11.0.0.1"));
	CHECK(!http_proxies_trusted(&p, "not an address"));
	CHECK(!http_proxies_trusted(NULL, "10.1.2.3"));
	struct http_proxies none = {0};
	CHECK(!http_proxies_trusted(&none, "10.1.2.3"));
}

int main(void)
{
	RUN(parses_cidrs_separated_by_commas_or_spaces);
	RUN(refuses_what_is_not_a_cidr);
	RUN(refuses_more_than_the_limit);
	RUN(untrusted_peer_is_the_client_whatever_it_forwards);
	RUN(trusted_peer_gives_the_right_most_untrusted_hop);
	RUN(all_hops_trusted_gives_the_left_most);
	RUN(invalid_hop_before_the_client_leaves_the_peer);
	RUN(ipv6_and_mapped_ipv4);
	RUN(prefix_bits_that_are_not_whole_bytes);
	RUN(address_key_is_one_per_address_however_written);
	RUN(trusted_is_inside_a_trusted_cidr);
	return check_summary(__FILE__);
}
