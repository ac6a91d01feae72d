/* Reads an exec spec on stdin and prints what the parser made of it, one field per line with
 * strings in hex, or "error <message>" (exit 1). The TypeScript tests use it to check that specs
 * written by core/image/exec-spec.ts parse back to the same values. */
#include <stdio.h>
#include <stdlib.h>

#include "../spec.h"

static void hex(const char *key, const char *s)
{
	printf("%s ", key);
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
	printf("\n");
}

int main(void)
{
	size_t cap = D0_EXEC_MAX_BYTES + 2, len = 0;
	char *buf = malloc(cap), err[512];
	struct d0_exec x;
	size_t n;

	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0)
		len += n;
	if (d0_exec_parse(buf, len, &x, err, sizeof err) != 0) {
		printf("error %s\n", err);
		free(buf);
		return 1;
	}
	for (size_t i = 0; i < x.argc; i++)
		hex("arg", x.argv[i]);
	for (size_t i = 0; i < x.envc; i++)
		hex("env", x.envp[i]);
	hex("cwd", x.cwd);
	printf("uid %u\ngid %u\ngroups", x.uid, x.gid);
	for (size_t i = 0; i < x.ngroups; i++)
		printf(" %u", x.groups[i]);
	printf("\n");
	if (x.path)
		hex("path", x.path);
	d0_exec_free(&x);
	free(buf);
	return 0;
}
