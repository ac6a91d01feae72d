/*
 * A token bucket per VM and kind of log line, so one VM can never crowd the boot log (COM1 and
 * its ring buffer) with its console or its device/diagnostic events: not other VMs' lines, and
 * not D0's own. A bucket holds up to `burst` lines and refills at `rate_per_s`; a line that
 * finds it empty is dropped and counted. Lifecycle events (vm_start, vm_ready, vm_exit, the
 * stop reason, vm_health, vm_stopped, vm_stats) never go through a bucket. Time is the caller's
 * (arch_time_ns), so the bucket has no clock of its own and is host-testable.
 */
#ifndef HV_LOG_BUDGET_H
#define HV_LOG_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* The budgets D0 gives each VM (kernel/docs/hypervisor.md "Log fairness"). A Linux boot prints ~200
 * console lines in its first second: the burst covers it. */
#define LOG_BUDGET_CONSOLE_BURST 500u
#define LOG_BUDGET_CONSOLE_RATE 50u  /* lines per second, sustained */
#define LOG_BUDGET_EVENTS_BURST 32u
#define LOG_BUDGET_EVENTS_RATE 5u

struct log_budget {
  uint64_t level;      /* tokens * 1e9 (a token is one line) */
  uint64_t last_ns;    /* when level was last brought up to date */
  uint32_t rate_per_s, burst;
  uint64_t passed;     /* lines logged */
  uint64_t dropped;    /* lines dropped because the bucket was empty */
};

/* A full bucket at now_ns. */
void log_budget_init(struct log_budget *b, uint32_t rate_per_s, uint32_t burst, uint64_t now_ns);

/* true: log the line (a token is taken); false: drop it (counted in dropped). */
bool log_budget_take(struct log_budget *b, uint64_t now_ns);

#endif /* HV_LOG_BUDGET_H */
