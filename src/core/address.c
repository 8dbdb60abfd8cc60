/* IP addresses, ranges and the client behind trusted proxies; see address.h. */
#include "core/address.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char V4_MAPPED[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool is_v4(const struct address *a)
{
	return memcmp(a->bytes, V4_MAPPED, sizeof(V4_MAPPED)) == 0;
}

bool address_parse(const char *text, size_t len, struct address *out)
{
	char s[ADDRESS_TEXT_MAX];
	while (len > 0 && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(s))
		return false;
	memcpy(s, text, len);
	s[len] = '\0';
	struct in_addr v4;
	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(out->bytes, V4_MAPPED, sizeof(V4_MAPPED));
		memcpy(out->bytes + 12, &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, s, out->bytes) == 1;
}

void address_format(const struct address *a, char *out, size_t size)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a->bytes + 12, out, (socklen_t)size);
	else
		inet_ntop(AF_INET6, a->bytes, out, (socklen_t)size);
}

/* Clears the bits of a past prefix. */
static void mask(struct address *a, int prefix)
{
	for (int i = 0; i < 16; i++) {
		int keep = prefix - 8 * i;
		a->bytes[i] &= keep >= 8   ? 0xff
		               : keep <= 0 ? 0
		                           : (unsigned char)(0xff << (8 - keep));
	}
}

static bool parse_range(const char *text, size_t len, struct address_range *out)
{
	const char *slash = memchr(text, '/', len);
	size_t addr_len = slash != NULL ? (size_t)(slash - text) : len;
	if (!address_parse(text, addr_len, &out->base))
		return false;
	int most = is_v4(&out->base) ? 32 : 128;
	int prefix = most;
	if (slash != NULL) {
		const char *digits = slash + 1;
		size_t n = len - addr_len - 1;
		if (n == 0 || n > 3 || strspn(digits, "0123456789") < n)
			return false;
		prefix = 0;
		for (size_t i = 0; i < n; i++)
			prefix = prefix * 10 + (digits[i] - '0');
		if (prefix > most)
			return false;
	}
	out->prefix = most == 32 ? prefix + 96 : prefix;
	mask(&out->base, out->prefix);
	return true;
}

bool address_ranges_parse(const char *text, struct address_ranges *out)
{
	struct address_ranges r = { 0 };
	const char *p = text;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, ", \t");
		if (r.count == ADDRESS_RANGES_MAX || !parse_range(p, len, &r.range[r.count]))
			return false;
		r.count++;
		p += len;
	}
	if (r.count == 0)
		return false;
	*out = r;
	return true;
}

bool address_ranges_contain(const struct address_ranges *r, const struct address *a)
{
	for (int i = 0; i < r->count; i++) {
		struct address masked = *a;
		mask(&masked, r->range[i].prefix);
		if (memcmp(masked.bytes, r->range[i].base.bytes, 16) == 0)
			return true;
	}
	return false;
}

struct address address_client(const struct address *peer, const char *forwarded_for,
                              const char *real_ip, const struct address_ranges *trusted)
{
	struct address client = *peer;
	if (!address_ranges_contain(trusted, peer))
		return client;
	if (forwarded_for == NULL) {
		struct address real;
		if (real_ip != NULL && address_parse(real_ip, strlen(real_ip), &real))
			client = real;
		return client;
	}
	/* From the nearest hop back: each trusted one vouches for the entry to its left. */
	size_t end = strlen(forwarded_for);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && forwarded_for[start - 1] != ',')
			start--;
		struct address hop;
		bool is_blank = strspn(forwarded_for + start, " \t") >= end - start;
		if (!is_blank) {
			if (!address_parse(forwarded_for + start, end - start, &hop))
				return client;
			client = hop;
			if (!address_ranges_contain(trusted, &hop))
				return client;
		}
		end = start > 0 ? start - 1 : 0;
	}
	return client;
}
