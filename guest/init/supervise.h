/* PID1's life after the exec: reap every child (orphans are re-parented to PID1), forward
 * SIGTERM/SIGINT/SIGHUP to the workload, and at the end clear out whatever is left. PID1 keeps
 * these signals and SIGCHLD blocked and takes them with sigwaitinfo(), so nothing races. */
#ifndef D0_INIT_SUPERVISE_H
#define D0_INIT_SUPERVISE_H

#include <signal.h>
#include <sys/types.h>

/* Milliseconds leftover processes get between SIGTERM and SIGKILL. */
#define D0_GRACE_MS 2000

/* The signals PID1 blocks and waits for. */
void d0_supervised_signals(sigset_t *set);

/* Returns the workload's wait status once it has exited. */
int d0_supervise(pid_t workload, const sigset_t *set);

/* SIGTERM to every other process, up to D0_GRACE_MS for them to exit, then SIGKILL; reaps all. */
void d0_kill_leftovers(const sigset_t *set);

#endif
