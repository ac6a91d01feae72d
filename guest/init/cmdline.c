#include "cmdline.h"

#include <stdio.h>
#include <string.h>

uint32_t d0_prefix_mask(uint8_t prefix)
{
	return prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
}

int d0_parse_ip4(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int octet = 0; octet < 4; octet++) {
		size_t start = i;
		unsigned x = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			x = x * 10 + (unsigned)(s[i++] - '0');
		size_t digits = i - start;
		if (digits == 0 || x > 255 || (digits > 1 && s[start] == '0'))
			return -1;
		v = (v << 8) | x;
		if (octet < 3) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != n)
		return -1;
	*out = v;
	return 0;
}

/* "A.B.C.D/N" with N in 0..32. */
static int parse_cidr(const char *s, size_t n, uint32_t *addr, uint8_t *prefix)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return -1;
	size_t alen = (size_t)(slash - s), plen = n - alen - 1;
	const char *p = slash + 1;
	if (d0_parse_ip4(s, alen, addr) != 0 || plen == 0 || plen > 2 || (plen == 2 && p[0] == '0'))
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 32)
		return -1;
	*prefix = (uint8_t)v;
	return 0;
}

static int valid_hostname(const char *s, size_t n)
{
	if (n == 0 || n > D0_MAX_HOSTNAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

#define FAIL(...)                                      \
	do {                                           \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                             \
	} while (0)

static int apply(struct d0_cmdline *c, const char *w, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(w, '=', n);
	size_t klen = eq ? (size_t)(eq - w) : n;
	const char *v = eq ? eq + 1 : w + n;
	size_t vlen = (size_t)(w + n - v);
	int show = n > 200 ? 200 : (int)n;

	if (memchr(w, '"', n))
		FAIL("%.*s: quotes are not allowed in d0.* keys", show, w);
	if (klen == 7 && memcmp(w, "d0.name", 7) == 0) {
		if (c->name[0])
			FAIL("d0.name given twice");
		if (!valid_hostname(v, vlen))
			FAIL("%.*s: hostname must be 1..%d of A-Z a-z 0-9 . -", show, w, D0_MAX_HOSTNAME);
		memcpy(c->name, v, vlen);
		c->name[vlen] = '\0';
	} else if (klen == 5 && memcmp(w, "d0.ip", 5) == 0) {
		if (c->has_ip)
			FAIL("d0.ip given twice");
		if (parse_cidr(v, vlen, &c->ip, &c->prefix) != 0 || c->prefix == 0)
			FAIL("%.*s: expected A.B.C.D/N with N in 1..32", show, w);
		c->has_ip = 1;
	} else if (klen == 5 && memcmp(w, "d0.gw", 5) == 0) {
		if (c->has_gw)
			FAIL("d0.gw given twice");
		if (d0_parse_ip4(v, vlen, &c->gw) != 0)
			FAIL("%.*s: expected A.B.C.D", show, w);
		c->has_gw = 1;
	} else if (klen == 8 && memcmp(w, "d0.route", 8) == 0) {
		const char *comma = memchr(v, ',', vlen);
		struct d0_route r;
		if (c->nroutes >= D0_MAX_ROUTES)
			FAIL("more than %d d0.route entries", D0_MAX_ROUTES);
		if (!comma || parse_cidr(v, (size_t)(comma - v), &r.dest, &r.prefix) != 0 ||
		    d0_parse_ip4(comma + 1, vlen - (size_t)(comma - v) - 1, &r.via) != 0)
			FAIL("%.*s: expected DEST/N,VIA (e.g. 10.1.0.0/16,10.0.0.1)", show, w);
		if (r.dest & ~d0_prefix_mask(r.prefix))
			FAIL("%.*s: destination has host bits set beyond /%u", show, w, r.prefix);
		c->routes[c->nroutes++] = r;
	} else
		FAIL("unknown kernel command-line key '%.*s'", klen > 64 ? 64 : (int)klen, w);
	return 0;
}

int d0_cmdline_parse(const char *text, size_t len, struct d0_cmdline *out, char *err, size_t errlen)
{
	struct d0_cmdline c;
	size_t i = 0;

	memset(&c, 0, sizeof c);
	if (errlen > 0)
		err[0] = '\0';
	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\0'))
			i++;
		size_t start = i;
		int quoted = 0;
		/* The kernel's own splitting: double quotes protect spaces. */
		while (i < len && text[i] != '\0' &&
		       (quoted || (text[i] != ' ' && text[i] != '\t' && text[i] != '\n'))) {
			if (text[i] == '"')
				quoted = !quoted;
			i++;
		}
		if (i > start && i - start >= 3 && memcmp(text + start, "d0.", 3) == 0 &&
		    apply(&c, text + start, i - start, err, errlen) != 0)
			return -1;
	}
	if ((c.has_gw || c.nroutes > 0) && !c.has_ip)
		FAIL("d0.gw and d0.route need d0.ip");
	*out = c;
	return 0;
}
