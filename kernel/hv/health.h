/*
 * The health verdict that decides whether a trial build is committed or rolled back.
 *
 * HEALTH_READY:     healthy once readiness (0x502 <- 1) arrived within health_timeout_s of
 *                   vm_start and the VM has not failed: a crash, a non-zero exit status or a
 *                   D0-side failure at any time (even after readiness) is a failure. An exit with
 *                   status 0 after readiness stays healthy; one before readiness is a failure.
 * HEALTH_EXIT_ZERO: healthy once the workload exited with status 0 within health_timeout_s.
 * Otherwise PENDING until the timeout has passed, then FAILED (timeout).
 */
#ifndef HV_HEALTH_H
#define HV_HEALTH_H

#include <stdint.h>

#include "hv/vm.h"

enum health_verdict { HEALTH_PENDING, HEALTH_HEALTHY, HEALTH_FAILED };

enum health_reason {
  HEALTH_R_NONE,            /* pending */
  HEALTH_R_READY,           /* healthy: ready in time */
  HEALTH_R_EXIT_ZERO,       /* healthy: exited 0 in time */
  HEALTH_R_TIMEOUT,         /* failed: nothing in time */
  HEALTH_R_EXIT_NONZERO,    /* failed: exit status != 0 */
  HEALTH_R_EXIT_BEFORE_READY,
  HEALTH_R_CRASHED,         /* failed: triple fault / shutdown */
  HEALTH_R_VM_FAILED,       /* failed: D0 stopped the VM */
  HEALTH_R_NOT_STARTED,
};

struct health {
  enum health_verdict verdict;
  enum health_reason reason;
};

struct health vm_health(const struct vm *vm, uint64_t now_ns);

const char *health_reason_name(enum health_reason r);

#endif /* HV_HEALTH_H */
