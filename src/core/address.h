/*
 * IP addresses and ranges (IPv4 and IPv6), and who the client of a request is when trusted
 * proxies stand in front: the rightmost hop of X-Forwarded-For that is not one of them (else
 * X-Real-IP). Pure: no I/O, no allocation.
 */
#ifndef CORE_ADDRESS_H
#define CORE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_RANGES_MAX 32
#define ADDRESS_TEXT_MAX   46 /* INET6_ADDRSTRLEN */

/* An address as 16 bytes: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct address {
	unsigned char bytes[16];
};

struct address_range {
	struct address base; /* its bits past prefix are zero */
	int prefix;          /* 0-128, counted over the 16 bytes */
};

struct address_ranges {
	int count;
	struct address_range range[ADDRESS_RANGES_MAX];
};

/* Parses "1.2.3.4" or "2001:db8::1" (surrounding spaces allowed). */
bool address_parse(const char *text, size_t len, struct address *out);
/* The canonical text of a (IPv4-mapped ones as a.b.c.d); size at least ADDRESS_TEXT_MAX. */
void address_format(const struct address *a, char *out, size_t size);
/* Parses a list of addresses and CIDR ranges separated by commas or spaces ("127.0.0.1,
 * 10.0.0.0/8 fd00::/8"); at most ADDRESS_RANGES_MAX; false on any bad item. */
bool address_ranges_parse(const char *text, struct address_ranges *out);
bool address_ranges_contain(const struct address_ranges *r, const struct address *a);
/*
 * The client of a request that came from peer: when peer is trusted, the rightmost entry of
 * forwarded_for (X-Forwarded-For, NULL for none) that is not trusted, or its leftmost when all
 * are; an entry that is not an address ends the walk at the hop that added it. Without
 * X-Forwarded-For, real_ip (X-Real-IP) when it is an address. Otherwise peer itself.
 */
struct address address_client(const struct address *peer, const char *forwarded_for,
                              const char *real_ip, const struct address_ranges *trusted);

#endif
