/* The d0.* keys of the kernel command line (/proc/cmdline) that PID1 reads:
 *   d0.name=<hostname>        1..64 of [A-Za-z0-9.-]
 *   d0.ip=A.B.C.D/N           eth0's address and prefix
 *   d0.gw=A.B.C.D             default route (needs d0.ip)
 *   d0.route=D.D.D.D/N,A.B.C.D  a route to D/N via A (repeatable, needs d0.ip)
 * Other words are the kernel's and are ignored; an unknown or repeated d0.* key is an error. */
#ifndef D0_INIT_CMDLINE_H
#define D0_INIT_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#define D0_MAX_ROUTES 16
#define D0_MAX_HOSTNAME 64

/* Addresses are in host byte order. */
struct d0_route {
	uint32_t dest;
	uint8_t prefix;
	uint32_t via;
};

struct d0_cmdline {
	char name[D0_MAX_HOSTNAME + 1]; /* empty when absent */
	int has_ip;
	uint32_t ip;
	uint8_t prefix;
	int has_gw;
	uint32_t gw;
	struct d0_route routes[D0_MAX_ROUTES];
	size_t nroutes;
};

/* Returns 0, or -1 with a message naming the key, e.g. "d0.ip=10.0.0.300/24: bad address". */
int d0_cmdline_parse(const char *text, size_t len, struct d0_cmdline *out, char *err, size_t errlen);

/* Parses A.B.C.D (decimal octets without leading zeros). Returns 0 or -1. */
int d0_parse_ip4(const char *s, size_t n, uint32_t *out);

uint32_t d0_prefix_mask(uint8_t prefix);

#endif
