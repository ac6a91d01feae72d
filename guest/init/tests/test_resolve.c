/* Executable lookup order, like execvp: names with '/' are used as is, others go through PATH. */
#include "../resolve.h"
#include "check.h"

static void expect(const char *name, const char *path, const char *const *want, size_t n)
{
	struct d0_resolver r;
	char buf[64];
	size_t i = 0;
	int rc;
	d0_resolver_init(&r, name, path);
	while ((rc = d0_resolver_next(&r, buf, sizeof buf)) != 0) {
		if (rc < 0)
			continue;
		CHECK(i < n);
		if (i < n)
			CHECK_STR(buf, want[i]);
		i++;
	}
	CHECK(i == n);
}

int main(void)
{
	const char *const slash[] = { "./run" };
	expect("./run", "/bin", slash, 1);
	const char *const abs[] = { "/bin/sh" };
	expect("/bin/sh", NULL, abs, 1);
	const char *const dflt[] = { "/usr/local/sbin/sh", "/usr/local/bin/sh", "/usr/sbin/sh",
				     "/usr/bin/sh",	"/sbin/sh",	     "/bin/sh" };
	expect("sh", NULL, dflt, 6);
	const char *const custom[] = { "/opt/bin/app", "./app", "/x/app" };
	expect("app", "/opt/bin::/x", custom, 3);
	const char *const trailing[] = { "/a/app", "./app" };
	expect("app", "/a:", trailing, 2);
	const char *const empty[] = { "./app" };
	expect("app", "", empty, 1);
	/* A candidate longer than the buffer is skipped, the next one still comes. */
	const char *const skip[] = { "/b/app" };
	expect("app", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:/b", skip, 1);
	return check_exit("test_resolve");
}
