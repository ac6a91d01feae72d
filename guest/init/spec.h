/* The exec spec (/.d0/exec): what PID1 runs. Format (guest/README.md is the contract):
 *   d0-exec 1
 *   arg <argv[i]>        repeated, in order, at least one
 *   env <NAME=VALUE>     repeated
 *   cwd <absolute path>  default /
 *   uid <decimal>        default 0
 *   gid <decimal>        default 0
 *   groups <gid gid ...> default none
 *   path <executable>    default argv[0]; resolved through the workload's PATH unless it has a '/'
 * Values escape '\' as "\\", newline as "\n" and any other byte < 0x20 or 0x7f as "\xHH". */
#ifndef D0_INIT_SPEC_H
#define D0_INIT_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define D0_EXEC_MAX_BYTES (1u << 20)
#define D0_EXEC_MAX_GROUPS 65536u

struct d0_exec {
	char **argv;  /* argc entries, then NULL */
	size_t argc;
	char **envp;  /* envc entries, then NULL */
	size_t envc;
	char *cwd;
	char *path;   /* NULL when absent */
	uint32_t uid;
	uint32_t gid;
	uint32_t *groups;
	size_t ngroups;
};

/* Parses len bytes of buf (which need not be NUL-terminated). Returns 0, or -1 with a message
 * such as "line 3: unknown key 'foo'" in err; *out is then empty and needs no free. */
int d0_exec_parse(const char *buf, size_t len, struct d0_exec *out, char *err, size_t errlen);
void d0_exec_free(struct d0_exec *e);

/* The value of NAME in a NULL-terminated NAME=VALUE array, or NULL. */
const char *d0_env_get(char *const *envp, const char *name);

#endif
