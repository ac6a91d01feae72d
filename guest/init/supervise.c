#include "supervise.h"

#include <errno.h>
#include <sys/wait.h>
#include <time.h>

void d0_supervised_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

int d0_supervise(pid_t workload, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(workload, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == workload)
				return st;
		if (p < 0 && errno == ECHILD)
			return 0; /* cannot happen while the workload lives; never spin */
	}
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Reaps until no child is left (returns 1) or the deadline passes (returns 0). */
static int reap_until(long deadline, const sigset_t *set)
{
	for (;;) {
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			return 1;
		long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		sigtimedwait(set, NULL, &ts);
	}
}

void d0_kill_leftovers(const sigset_t *set)
{
	if (kill(-1, SIGTERM) != 0 && errno == ESRCH && reap_until(now_ms(), set))
		return;
	if (reap_until(now_ms() + D0_GRACE_MS, set))
		return;
	kill(-1, SIGKILL);
	reap_until(now_ms() + D0_GRACE_MS, set);
}
