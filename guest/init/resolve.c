#include "resolve.h"

#include <string.h>

void d0_resolver_init(struct d0_resolver *r, const char *name, const char *path_env)
{
	r->name = name;
	r->path = strchr(name, '/') ? NULL : (path_env ? path_env : D0_DEFAULT_PATH);
	r->pos = 0;
	r->done = 0;
}

int d0_resolver_next(struct d0_resolver *r, char *buf, size_t buflen)
{
	size_t nlen = strlen(r->name);

	if (r->done)
		return 0;
	if (!r->path) {
		r->done = 1;
		if (nlen + 1 > buflen)
			return -1;
		memcpy(buf, r->name, nlen + 1);
		return 1;
	}
	const char *dir = r->path + r->pos;
	const char *colon = strchr(dir, ':');
	size_t dlen = colon ? (size_t)(colon - dir) : strlen(dir);
	if (colon)
		r->pos += dlen + 1;
	else
		r->done = 1;
	if (dlen == 0) {
		dir = ".";
		dlen = 1;
	}
	if (dlen + 1 + nlen + 1 > buflen)
		return -1;
	memcpy(buf, dir, dlen);
	buf[dlen] = '/';
	memcpy(buf + dlen + 1, r->name, nlen + 1);
	return 1;
}
