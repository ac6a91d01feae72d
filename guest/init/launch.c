#include <signal.h>

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codes.h"
#include "resolve.h"

/* What the child writes to the pipe when it cannot exec. */
struct report {
	int status;
	int err;
	char what[256];
};

static void child_fail(int fd, int status, int err, const char *what)
{
	struct report r;
	memset(&r, 0, sizeof r);
	r.status = status;
	r.err = err;
	snprintf(r.what, sizeof r.what, "%s", what);
	(void)!write(fd, &r, sizeof r);
	_exit(127);
}

static void child(const struct d0_exec *x, const sigset_t *unblock, int fd)
{
	char cand[PATH_MAX];
	struct d0_resolver res;
	int saw_eacces = 0, last_err = ENOENT;

	sigprocmask(SIG_SETMASK, unblock, NULL);
	setsid();
	if (setgroups(x->ngroups, (const gid_t *)x->groups) != 0)
		child_fail(fd, D0_ST_IDENTITY, errno, "setgroups");
	if (setgid(x->gid) != 0)
		child_fail(fd, D0_ST_IDENTITY, errno, "setgid");
	if (setuid(x->uid) != 0)
		child_fail(fd, D0_ST_IDENTITY, errno, "setuid");
	if (chdir(x->cwd) != 0)
		child_fail(fd, D0_ST_IDENTITY, errno, x->cwd);

	const char *name = x->path ? x->path : x->argv[0];
	d0_resolver_init(&res, name, d0_env_get(x->envp, "PATH"));
	for (int r; (r = d0_resolver_next(&res, cand, sizeof cand)) != 0;) {
		if (r < 0)
			continue;
		execve(cand, x->argv, x->envp);
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
			break;
		case EACCES:
			saw_eacces = 1;
			last_err = EACCES;
			break;
		default:
			child_fail(fd, D0_ST_EXEC_FAILED, errno, cand);
		}
	}
	if (saw_eacces)
		child_fail(fd, D0_ST_EXEC_FAILED, last_err, name);
	child_fail(fd, D0_ST_NOT_FOUND, ENOENT, name);
}

pid_t d0_launch(const struct d0_exec *x, const sigset_t *unblock, struct d0_launch_error *e)
{
	int p[2];
	struct report r;

	memset(e, 0, sizeof *e);
	if (pipe2(p, O_CLOEXEC) != 0) {
		e->status = D0_ST_INTERNAL;
		e->reason = "internal";
		snprintf(e->detail, sizeof e->detail, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		e->status = D0_ST_INTERNAL;
		e->reason = "internal";
		snprintf(e->detail, sizeof e->detail, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child(x, unblock, p[1]);
	}
	close(p[1]);
	ssize_t n;
	do
		n = read(p[0], &r, sizeof r);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 0)
		return pid;
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof r) {
		e->status = D0_ST_INTERNAL;
		e->reason = "internal";
		snprintf(e->detail, sizeof e->detail, "short report from the workload's child (%zd bytes)", n);
		return -1;
	}
	r.what[sizeof r.what - 1] = '\0';
	e->status = r.status;
	e->reason = r.status == D0_ST_NOT_FOUND    ? "exec-not-found"
		    : r.status == D0_ST_EXEC_FAILED ? "exec-failed"
						    : "identity";
	snprintf(e->detail, sizeof e->detail, "%s: %s", r.what, strerror(r.err));
	return -1;
}
