/* SPDX-License-Identifier: MIT */
/* The client's address behind trusted reverse proxies: I/O-free parsing
 * of the trusted CIDRs, of X-Forwarded-For and of addresses. */
#include "http/http.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

/* Reads a textual IPv4 or IPv6 address into a (IPv4-mapped IPv6 addresses
 * become IPv4, so ::ffff:10.0.0.1 matches 10.0.0.0/8). */
static bool parse_address(const char *s, size_t s_len, struct http_cidr *a)
{
	char text[INET6_ADDRSTRLEN];
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (s_len == 0 || s_len >= sizeof text)
		return false;
	memcpy(text, s, s_len);
	text[s_len] = '\0';
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		a->prefix = 32;
		return true;
	}
	if (inet_pton(AF_INET6, text, a->addr) != 1)
		return false;
	a->family = AF_INET6;
	a->prefix = 128;
	if (memcmp(a->addr, v4_mapped, sizeof v4_mapped) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = AF_INET;
		a->prefix = 32;
	}
	return true;
}

/* "10.0.0.0/8", "2001:db8::/32" or a bare address (/32, /128). */
static bool parse_cidr(const char *s, size_t s_len, struct http_cidr *out)
{
	const char *slash = memchr(s, '/', s_len);
	size_t addr_len = slash ? (size_t)(slash - s) : s_len;
	if (!parse_address(s, addr_len, out))
		return false;
	if (!slash)
		return true;
	const char *p = slash + 1, *end = s + s_len;
	unsigned bits = 0;
	if (p == end || end - p > 3)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		bits = bits * 10 + (unsigned)(*p - '0');
	}
	if (bits > out->prefix)
		return false;
	out->prefix = (uint8_t)bits;
	return true;
}

enum jt_status http_proxies_add(struct http_proxies *p, const char *spec)
{
	const char *s = spec;
	for (;;) {
		s += strspn(s, ", \t");
		if (!*s)
			return JT_OK;
		size_t n = strcspn(s, ", \t");
		if (p->n == LIMIT_TRUSTED_PROXIES)
			return JT_ETOOBIG;
		if (!parse_cidr(s, n, &p->cidr[p->n]))
			return JT_EINVAL;
		p->n++;
		s += n;
	}
}

static bool within(const struct http_cidr *net, const struct http_cidr *a)
{
	if (net->family != a->family)
		return false;
	unsigned full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(net->addr, a->addr, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (a->addr[full] & mask);
}

static bool trusted(const struct http_proxies *p, const struct http_cidr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (within(&p->cidr[i], a))
			return true;
	return false;
}

bool http_proxies_trusted(const struct http_proxies *p, const char *ip)
{
	struct http_cidr a;
	return p && p->n && parse_address(ip, strlen(ip), &a) && trusted(p, &a);
}

bool http_address_key(const char *ip, uint8_t key[16])
{
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct http_cidr a;
	if (!parse_address(ip, strlen(ip), &a))
		return false;
	if (a.family == AF_INET6) {
		memcpy(key, a.addr, 16);
	} else {
		memcpy(key, v4_mapped, sizeof v4_mapped);
		memcpy(key + 12, a.addr, 4);
	}
	return true;
}

/* Writes a in its canonical text form. */
static void format_address(const struct http_cidr *a, char *out, size_t out_len)
{
	if (!inet_ntop(a->family, a->addr, out, (socklen_t)out_len))
		out[0] = '\0';
}

void http_client_address(const struct http_proxies *p, const char *peer, const char *xff, char *out,
			 size_t out_len)
{
	struct http_cidr a, chosen;
	size_t n = strnlen(peer, out_len - 1);
	memcpy(out, peer, n);
	out[n] = '\0';
	if (!p || p->n == 0 || !xff || !parse_address(peer, strlen(peer), &a) || !trusted(p, &a))
		return;
	/* From the right: each hop was appended by the proxy after it. The
	 * first address not of a trusted proxy is the client; what lies left
	 * of it was written by the client and proves nothing. */
	bool found = false;
	size_t end = strlen(xff);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		size_t b = start, e = end;
		while (b < e && (xff[b] == ' ' || xff[b] == '\t'))
			b++;
		while (e > b && (xff[e - 1] == ' ' || xff[e - 1] == '\t'))
			e--;
		if (!parse_address(xff + b, e - b, &a))
			return; /* not an address: the peer is all we know */
		chosen = a;
		found = true;
		if (!trusted(p, &a))
			break;
		end = start ? start - 1 : 0;
	}
	if (found)
		format_address(&chosen, out, out_len);
}
