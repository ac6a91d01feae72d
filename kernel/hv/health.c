#include "hv/health.h"

#define NS_PER_S 1000000000ull

static struct health verdict(enum health_verdict v, enum health_reason r)
{
  return (struct health){v, r};
}

static bool within(const struct vm *vm, uint64_t t_ns)
{
  return t_ns >= vm->start_ns && t_ns - vm->start_ns <= (uint64_t)vm->health_timeout_s * NS_PER_S;
}

struct health vm_health(const struct vm *vm, uint64_t now_ns)
{
  if (vm->state == VM_CREATED)
    return verdict(HEALTH_PENDING, HEALTH_R_NOT_STARTED);
  if (vm->state == VM_FAILED)
    return verdict(HEALTH_FAILED, HEALTH_R_VM_FAILED);
  if (vm->state == VM_CRASHED)
    return verdict(HEALTH_FAILED, HEALTH_R_CRASHED);
  if (vm->exited && vm->exit_status != 0)
    return verdict(HEALTH_FAILED, HEALTH_R_EXIT_NONZERO);

  if (vm->health == VM_HEALTH_EXIT_ZERO) {
    if (vm->exited)
      return within(vm, vm->exit_ns) ? verdict(HEALTH_HEALTHY, HEALTH_R_EXIT_ZERO)
                                     : verdict(HEALTH_FAILED, HEALTH_R_TIMEOUT);
  } else {
    if (vm->ready)
      return within(vm, vm->ready_ns) ? verdict(HEALTH_HEALTHY, HEALTH_R_READY)
                                      : verdict(HEALTH_FAILED, HEALTH_R_TIMEOUT);
    if (vm->exited)
      return verdict(HEALTH_FAILED, HEALTH_R_EXIT_BEFORE_READY);
  }
  return within(vm, now_ns) ? verdict(HEALTH_PENDING, HEALTH_R_NONE)
                            : verdict(HEALTH_FAILED, HEALTH_R_TIMEOUT);
}

const char *health_reason_name(enum health_reason r)
{
  switch (r) {
  case HEALTH_R_NONE: return "pending";
  case HEALTH_R_READY: return "ready";
  case HEALTH_R_EXIT_ZERO: return "exit-zero";
  case HEALTH_R_TIMEOUT: return "timeout";
  case HEALTH_R_EXIT_NONZERO: return "exit-nonzero";
  case HEALTH_R_EXIT_BEFORE_READY: return "exit-before-ready";
  case HEALTH_R_CRASHED: return "crashed";
  case HEALTH_R_VM_FAILED: return "vm-failed";
  case HEALTH_R_NOT_STARTED: return "not-started";
  }
  return "unknown";
}
