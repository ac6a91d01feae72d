#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH "eth0"

static void set_sin(struct sockaddr *sa, uint32_t host_order)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(host_order);
	memcpy(sa, &sin, sizeof sin);
}

static void fmt_ip(char *buf, size_t n, uint32_t a)
{
	snprintf(buf, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static int iface_up(int s, const char *ifname, uint32_t addr, uint8_t prefix, char *err, size_t errlen)
{
	struct ifreq ifr;
	const char *step;

	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	set_sin(&ifr.ifr_addr, addr);
	step = "SIOCSIFADDR";
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		goto fail;
	set_sin(&ifr.ifr_netmask, d0_prefix_mask(prefix));
	step = "SIOCSIFNETMASK";
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
		goto fail;
	step = "SIOCGIFFLAGS";
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	step = "SIOCSIFFLAGS";
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s %s: %s", ifname, step, strerror(errno));
	return -1;
}

static int add_route(int s, uint32_t dest, uint8_t prefix, uint32_t via, char *err, size_t errlen)
{
	struct rtentry rt;
	char d[16], g[16];

	memset(&rt, 0, sizeof rt);
	set_sin(&rt.rt_dst, dest);
	set_sin(&rt.rt_genmask, d0_prefix_mask(prefix));
	set_sin(&rt.rt_gateway, via);
	rt.rt_flags = RTF_UP | RTF_GATEWAY | (prefix == 32 ? RTF_HOST : 0);
	if (ioctl(s, SIOCADDRT, &rt) == 0)
		return 0;
	fmt_ip(d, sizeof d, dest);
	fmt_ip(g, sizeof g, via);
	snprintf(err, errlen, "route %s/%u via %s: %s", d, prefix, g, strerror(errno));
	return -1;
}

int d0_net_setup(const struct d0_cmdline *c, char *err, size_t errlen)
{
	int rc = -1;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		snprintf(err, errlen, "socket(AF_INET): %s", strerror(errno));
		return -1;
	}
	if (iface_up(s, "lo", 0x7F000001u, 8, err, errlen) != 0)
		goto out;
	if (c->has_ip) {
		if (iface_up(s, ETH, c->ip, c->prefix, err, errlen) != 0)
			goto out;
		for (size_t i = 0; i < c->nroutes; i++)
			if (add_route(s, c->routes[i].dest, c->routes[i].prefix, c->routes[i].via, err, errlen) != 0)
				goto out;
		if (c->has_gw && add_route(s, 0, 0, c->gw, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	close(s);
	return rc;
}
