/* Kernel command-line parser for the d0.* keys: valid lines, the kernel's quoting, and one test per
 * class of malformed key. */
#include "../cmdline.h"
#include "check.h"

static char err[512];
static struct d0_cmdline c;

static int parse(const char *s)
{
	return d0_cmdline_parse(s, strlen(s), &c, err, sizeof err);
}

static const char *bad(const char *s)
{
	CHECK(parse(s) == -1);
	return err;
}

#define IP(a, b, cc, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((cc) << 8) | (d))

static void test_full(void)
{
	const char *s = "console=ttyS0 reboot=t root=/dev/vda rw init=/.d0/init "
			"virtio_mmio.device=4K@0xd0000000:5 d0.name=web-1.site-a d0.ip=10.20.0.10/24 "
			"d0.gw=10.20.0.1 d0.route=10.99.0.0/16,10.20.0.254 d0.route=192.168.7.7/32,10.20.0.253\n";
	CHECK(parse(s) == 0);
	CHECK_STR(c.name, "web-1.site-a");
	CHECK(c.has_ip && c.ip == IP(10, 20, 0, 10) && c.prefix == 24);
	CHECK(c.has_gw && c.gw == IP(10, 20, 0, 1));
	CHECK(c.nroutes == 2);
	CHECK(c.routes[0].dest == IP(10, 99, 0, 0) && c.routes[0].prefix == 16 &&
	      c.routes[0].via == IP(10, 20, 0, 254));
	CHECK(c.routes[1].dest == IP(192, 168, 7, 7) && c.routes[1].prefix == 32);
}

static void test_minimal_and_quotes(void)
{
	CHECK(parse("console=ttyS0") == 0);
	CHECK(c.name[0] == '\0' && !c.has_ip && !c.has_gw && c.nroutes == 0);
	CHECK(parse("") == 0);
	/* A d0.* word inside the kernel's quotes belongs to another parameter. */
	CHECK(parse("foo=\"a d0.bogus=1\" d0.ip=10.0.0.2/8") == 0);
	CHECK(c.has_ip && c.ip == IP(10, 0, 0, 2) && c.prefix == 8);
	/* Tabs, newlines and NUL separate words too (/proc/cmdline ends in a newline). */
	CHECK(parse("a\td0.name=x\n") == 0);
	CHECK_STR(c.name, "x");
	CHECK(parse("d0.ip=255.255.255.255/32 d0.gw=0.0.0.0") == 0);
	CHECK(c.ip == 0xFFFFFFFFu && c.gw == 0);
}

static void test_bad(void)
{
	CHECK_CONTAINS(bad("d0.mac=52:54:00:00:00:01"), "unknown kernel command-line key 'd0.mac'");
	CHECK_CONTAINS(bad("d0.name=a d0.name=b"), "d0.name given twice");
	CHECK_CONTAINS(bad("d0.name="), "d0.name=: hostname must be");
	CHECK_CONTAINS(bad("d0.name=a_b"), "hostname must be");
	CHECK_CONTAINS(bad("d0.name=\"a\""), "quotes are not allowed");
	CHECK_CONTAINS(bad("d0.name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "hostname must be");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.300/24"), "d0.ip=10.0.0.300/24: expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1"), "d0.ip=10.0.0.1: expected");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1/33"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1/0"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1/024"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1/"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.01.1/8"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0/8"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=10.0.0.1.5/8"), "expected A.B.C.D/N");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.ip=1.2.3.5/8"), "d0.ip given twice");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.gw=1.2.3"), "d0.gw=1.2.3: expected A.B.C.D");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.gw=1.2.3.1 d0.gw=1.2.3.1"), "d0.gw given twice");
	CHECK_CONTAINS(bad("d0.gw=1.2.3.1"), "need d0.ip");
	CHECK_CONTAINS(bad("d0.route=10.0.0.0/8,1.2.3.4"), "need d0.ip");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.route=10.0.0.0/8"), "expected DEST/N,VIA");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.route=10.0.0.0,1.2.3.1"), "expected DEST/N,VIA");
	CHECK_CONTAINS(bad("d0.ip=1.2.3.4/8 d0.route=10.0.0.1/8,1.2.3.1"), "host bits set beyond /8");
	{
		char s[1024] = "d0.ip=1.2.3.4/8";
		for (int i = 0; i <= D0_MAX_ROUTES; i++)
			snprintf(s + strlen(s), sizeof s - strlen(s), " d0.route=10.%d.0.0/16,1.2.3.1", i);
		CHECK_CONTAINS(bad(s), "more than 16 d0.route entries");
	}
}

int main(void)
{
	test_full();
	test_minimal_and_quotes();
	test_bad();
	return check_exit("test_cmdline");
}
