/* d0-init: PID1 of a D0 micro-VM. Mounts the pseudo file systems, sets the hostname and the
 * static network from the kernel command line, runs the process described by /.d0/exec, reaps
 * every zombie, and reports the outcome on the status port. It never returns and never exits
 * (that would panic the kernel): every path ends in d0_finish(). guest/README.md is the contract. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "codes.h"
#include "launch.h"
#include "log.h"
#include "mounts.h"
#include "net.h"
#include "spec.h"
#include "status.h"
#include "supervise.h"

#define EXEC_SPEC_PATH "/.d0/exec"
#define CMDLINE_MAX 4096

static sigset_t supervised;

static void __attribute__((noreturn)) d0_finish(int status)
{
	d0_kill_leftovers(&supervised);
	sync();
	d0_remount_root_ro();
	d0_status_exit((uint8_t)status);
	/* Without a status port: with reboot=t this triple-faults, which the hypervisor sees. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) fail(int status, const char *reason, const char *detail)
{
	char quoted[600];

	d0_event("ev=error reason=%s status=%d detail=%s", reason, status,
		 d0_logfmt_value(detail, quoted, sizeof quoted));
	d0_finish(status);
}

/* Reads at most max bytes of path into a fresh buffer; *len gets the size. Returns 0, -1 with
 * errno, or -2 when the file is larger than max. */
static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char *b = malloc(max + 1);
	size_t n = 0;
	if (!b) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t k = read(fd, b + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(b);
			close(fd);
			errno = e;
			return -1;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			free(b);
			close(fd);
			return -2;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

static void load_spec(struct d0_exec *x)
{
	char err[512], *buf;
	size_t len;
	int rc = read_file(EXEC_SPEC_PATH, D0_EXEC_MAX_BYTES, &buf, &len);
	if (rc == -2) {
		snprintf(err, sizeof err, "%s: larger than %u bytes", EXEC_SPEC_PATH, D0_EXEC_MAX_BYTES);
		fail(D0_ST_BAD_SPEC, "exec-spec", err);
	}
	if (rc != 0) {
		snprintf(err, sizeof err, "%s: %s", EXEC_SPEC_PATH, strerror(errno));
		fail(D0_ST_BAD_SPEC, "exec-spec", err);
	}
	char msg[400];
	if (d0_exec_parse(buf, len, x, msg, sizeof msg) != 0) {
		snprintf(err, sizeof err, "%s: %s", EXEC_SPEC_PATH, msg);
		fail(D0_ST_BAD_SPEC, "exec-spec", err);
	}
	free(buf);
}

static void load_cmdline(struct d0_cmdline *c)
{
	char err[400], *buf;
	size_t len;
	if (read_file("/proc/cmdline", CMDLINE_MAX, &buf, &len) != 0) {
		snprintf(err, sizeof err, "/proc/cmdline: %s", strerror(errno));
		fail(D0_ST_SETUP, "setup", err);
	}
	if (d0_cmdline_parse(buf, len, c, err, sizeof err) != 0)
		fail(D0_ST_BAD_CMDLINE, "cmdline", err);
	free(buf);
}

int main(void)
{
	char err[400];
	sigset_t unblock;
	struct d0_cmdline c;
	struct d0_exec x;

	if (getpid() != 1) {
		fprintf(stderr, "d0-init: must run as PID 1 of a D0 micro-VM\n");
		return 2;
	}
	d0_supervised_signals(&supervised);
	sigprocmask(SIG_BLOCK, &supervised, &unblock);

	/* The status port first, so that even a failure to mount /dev is reported. */
	int perr = d0_status_open();
	if (d0_mount_dev(err, sizeof err) != 0)
		fail(D0_ST_SETUP, "setup", err);
	if (perr != 0) {
		snprintf(err, sizeof err, "ioperm(0x%x): %s", D0_STATUS_PORT, strerror(-perr));
		fail(D0_ST_SETUP, "setup", err);
	}
	if (d0_mount_rest(err, sizeof err) != 0)
		fail(D0_ST_SETUP, "setup", err);
	load_cmdline(&c);
	load_spec(&x);
	if (c.name[0] && sethostname(c.name, strlen(c.name)) != 0) {
		snprintf(err, sizeof err, "sethostname: %s", strerror(errno));
		fail(D0_ST_SETUP, "setup", err);
	}
	if (d0_net_setup(&c, err, sizeof err) != 0)
		fail(D0_ST_SETUP, "network", err);

	struct d0_launch_error le;
	pid_t pid = d0_launch(&x, &unblock, &le);
	if (pid < 0)
		fail(le.status, le.reason, le.detail);
	d0_event("ev=ready pid=%d", (int)pid);
	d0_status_ready();

	int st = d0_supervise(pid, &supervised);
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		d0_event("ev=exit status=%d signal=%d", 128 + sig, sig);
		d0_finish(128 + sig);
	}
	d0_event("ev=exit status=%d", WEXITSTATUS(st));
	d0_finish(WEXITSTATUS(st));
}
