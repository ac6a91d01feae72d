/* Starts the workload: fork, then in the child setsid, supplementary groups, gid, uid, chdir and
 * execve of the resolved executable. A failure in the child is sent back over a close-on-exec
 * pipe, so PID1 knows for certain whether the exec happened (that is the readiness signal). */
#ifndef D0_INIT_LAUNCH_H
#define D0_INIT_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>
#include "spec.h"

struct d0_launch_error {
	int status;           /* D0_ST_* */
	const char *reason;   /* a token for the console line, e.g. "exec-not-found" */
	char detail[320];
};

/* Returns the workload's pid after a successful execve, or -1 with *e filled in (the failed child
 * has then been reaped). `unblock` is the signal mask the workload starts with. */
pid_t d0_launch(const struct d0_exec *x, const sigset_t *unblock, struct d0_launch_error *e);

#endif
