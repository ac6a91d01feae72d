/* A vCPU's state for ev=vcpu_state (contract in vcpu_look.h). */
#include "hv/vcpu_look.h"

#include "d0/lib.h"
#include "hv/exit.h"

#define NS_PER_MS 1000000ull

static const char *vcpu_state_name(enum vcpu_state s)
{
  switch (s) {
  case VCPU_WAIT_INIT: return "wait-init";
  case VCPU_WAIT_SIPI: return "wait-sipi";
  case VCPU_STARTING: return "starting";
  case VCPU_RUNNING: return "running";
  }
  return "unknown";
}

void vm_vcpu_look(const struct vm *vm, uint32_t vcpu, uint64_t now_ns, struct vcpu_look *out)
{
  const struct vm_vcpu *c = &vm->cpu[vcpu];
  memset(out, 0, sizeof *out);
  out->state = vcpu_state_name(c->state);
  out->halted = c->halted;
  out->exits = c->exits;
  out->run_ms = c->run_ns / NS_PER_MS;
  out->last_exit = exit_reason_name(c->last.reason);
  out->rip = c->last.rip;
  out->rflags = c->last.rflags;
  out->isr = out->irr = -1;
  out->timer_in_ms = VCPU_LOOK_NO_TIMER;
  if (!vm->has_platform || vcpu >= vm->platform.vcpus)
    return;
  const struct vlapic *l = &vm->platform.lapic[vcpu];
  out->has_lapic = true;
  out->lapic_on = l->on && (l->svr & VLAPIC_SVR_ENABLE) != 0;
  out->isr = vlapic_highest_isr(l);
  out->irr = vlapic_highest_irr(l);
  out->tpr = l->tpr;
  out->lvt_timer = l->lvt[0]; /* the timer's (the LVT order of VLAPIC_LVT_COUNT) */
  if (l->timer_deadline_ns != VLAPIC_NO_DEADLINE)
    out->timer_in_ms = l->timer_deadline_ns <= now_ns
                           ? 0
                           : (int64_t)((l->timer_deadline_ns - now_ns) / NS_PER_MS);
  out->timer_fired = l->timer_fired;
  out->accepted = l->accepted;
}
