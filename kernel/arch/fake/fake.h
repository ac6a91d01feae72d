/*
 * Test controls of the fake arch backend: a scripted guest and an observable world.
 *
 * A script is a list of steps; arch_vcpu_run delivers them in order. Before a step's exit is
 * delivered its hook runs (a test's "guest" can change guest RAM there, as a real guest would
 * between two exits) and the fake clock advances by advance_ns. After the last step the vCPU
 * halts (ARCH_EXIT_HLT) forever. A step with fail set makes arch_vcpu_run return HV_E_ARCH.
 */
#ifndef D0_ARCH_FAKE_H
#define D0_ARCH_FAKE_H

#include "arch/arch.h"
#include "hv/event.h"

struct fake_step {
  struct arch_exit exit;
  uint64_t advance_ns;
  void (*hook)(void *ctx);
  void *ctx;
  bool fail;
};

void fake_vcpu_script(struct arch_vcpu *vcpu, const struct fake_step *steps, size_t n);

/* The fake clock read by arch_time_ns. */
void fake_time_set(uint64_t ns);
void fake_time_advance(uint64_t ns);

/* Events received by hv_event_sink, most recent last; strings copied. */
#define FAKE_EVENTS_MAX 256
#define FAKE_EVENT_STR 40
struct fake_event {
  char vm[FAKE_EVENT_STR], dev[FAKE_EVENT_STR], what[FAKE_EVENT_STR];
  int err;
  uint64_t a, b;
};
size_t fake_events_count(void);
const struct fake_event *fake_event_at(size_t i);
/* The most recent event whose `what` equals what (NULL if none). */
const struct fake_event *fake_event_find(const char *what);
void fake_events_clear(void);

/* Makes the next arch_npt_map_page calls fail after `n` successes (~0 = never). */
void fake_npt_fail_after(uint64_t n);

#endif /* D0_ARCH_FAKE_H */
