/* How the executable is found, like execvp(3): a name containing '/' is used as is; otherwise each
 * directory of PATH is tried in order (an empty entry means the current directory). */
#ifndef D0_INIT_RESOLVE_H
#define D0_INIT_RESOLVE_H

#include <stddef.h>

/* PATH when the workload's environment has none (the usual container default). */
#define D0_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct d0_resolver {
	const char *name;
	const char *path;  /* NULL once the name contains '/' */
	size_t pos;
	int done;
};

void d0_resolver_init(struct d0_resolver *r, const char *name, const char *path_env);

/* Writes the next candidate into buf. Returns 1, 0 when there are no more, or -1 when a candidate
 * does not fit in buflen (it is skipped; call again for the next one). */
int d0_resolver_next(struct d0_resolver *r, char *buf, size_t buflen);

#endif
