#include "arch/x86/tick_calc.h"

#include <stddef.h>

#define NS_PER_S 1000000000ull
#define MAX_WINDOW_NS (5ull * NS_PER_S)

const char *x86_tick_source_name(enum x86_tick_source s)
{
  switch (s) {
  case X86_TICK_TSC_DEADLINE:
    return "tsc_deadline";
  case X86_TICK_LAPIC:
    return "lapic";
  default:
    return "pit";
  }
}

/* (rate + hz/2) / hz, or 0 when out of [X86_TICK_MIN_COUNTS, max]. */
static uint64_t period_of(uint64_t rate, uint32_t hz, uint64_t max)
{
  if (rate == 0 || hz == 0)
    return 0;
  uint64_t p = (rate + hz / 2) / hz;
  return p >= X86_TICK_MIN_COUNTS && p <= max ? p : 0;
}

struct x86_tick_plan x86_tick_choose(const struct x86_tick_facts *f)
{
  struct x86_tick_plan p = {X86_TICK_PIT, "no_facts", 0};
  if (f == NULL)
    return p;
  if (f->lapic_error != NULL) {
    p.reason = f->lapic_error;
    return p;
  }
  if (f->tsc_hz == 0) {
    p.reason = "tsc_unmeasured"; /* both local APIC timer modes are timed by the TSC */
    return p;
  }
  if (f->tsc_deadline) {
    p.period = period_of(f->tsc_hz, f->hz, UINT64_MAX);
    if (p.period != 0) {
      p.source = X86_TICK_TSC_DEADLINE;
      p.reason = "cpuid_tsc_deadline";
      return p;
    }
  }
  p.period = period_of(f->lapic_hz, f->hz, UINT32_MAX);
  if (p.period != 0) {
    p.source = X86_TICK_LAPIC;
    p.reason = f->tsc_deadline ? "tsc_deadline_unusable" : "no_tsc_deadline";
    return p;
  }
  p.reason = f->lapic_hz == 0 ? "lapic_timer_stopped" : "lapic_timer_out_of_range";
  return p;
}

uint64_t x86_tick_lapic_hz(uint64_t apic_counts, uint64_t tsc_ticks, uint64_t tsc_hz)
{
  /* tsc_hz above ~18 GHz is no real TSC, and would overflow rest * 1e9 below. */
  if (apic_counts == 0 || tsc_ticks == 0 || tsc_hz == 0 || apic_counts > UINT32_MAX ||
      tsc_hz > UINT64_MAX / NS_PER_S)
    return 0;
  /* window_ns = tsc_ticks * 1e9 / tsc_hz without overflow: whole seconds apart. */
  uint64_t secs = tsc_ticks / tsc_hz, rest = tsc_ticks % tsc_hz;
  if (secs > MAX_WINDOW_NS / NS_PER_S)
    return 0;
  uint64_t window_ns = secs * NS_PER_S + rest * NS_PER_S / tsc_hz;
  if (window_ns == 0 || window_ns > MAX_WINDOW_NS)
    return 0;
  /* apic_counts <= 2^32, so apic_counts * 1e9 < 4.3e18 fits in 64 bits. */
  return apic_counts * NS_PER_S / window_ns;
}

uint64_t x86_tick_median(uint64_t *v, uint32_t n)
{
  if (v == NULL || n == 0 || n > 8)
    return 0;
  for (uint32_t i = 1; i < n; i++)
    for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}
