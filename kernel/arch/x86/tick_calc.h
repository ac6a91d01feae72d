/*
 * The pure half of D0's host tick (host_tick.c): which timer drives it and the numbers it is
 * programmed with. No hardware access here, so the choice and the calibration arithmetic are
 * tested on the host (arch/x86/tests/test_tick.c).
 *
 * Sources, in order of preference:
 *   tsc_deadline  the local APIC timer in TSC-deadline mode (CPUID.1:ECX[24]); the period is
 *                 tsc_hz / hz TSC ticks, the TSC rate D0 measured at boot (arch/x86/time.h)
 *   lapic         the local APIC timer, periodic, divide-by-16; its rate is measured against
 *                 the TSC (x86_tick_lapic_hz), the median of a few windows
 *   pit           the 8254 PIT through the 8259's IRQ0: only when the local APIC timer cannot
 *                 be used, and the log names why (reason=)
 */
#ifndef D0_ARCH_X86_TICK_CALC_H
#define D0_ARCH_X86_TICK_CALC_H

#include <stdbool.h>
#include <stdint.h>

enum x86_tick_source { X86_TICK_PIT, X86_TICK_LAPIC, X86_TICK_TSC_DEADLINE };

/* What the choice depends on, gathered by host_tick.c. */
struct x86_tick_facts {
  const char *lapic_error; /* lapic_init's reason, NULL when the local APIC is usable */
  bool tsc_deadline;       /* CPUID.1:ECX[24] */
  uint64_t tsc_hz;         /* measured TSC rate (0: not measured) */
  uint64_t lapic_hz;       /* measured APIC timer rate after the divider (0: not measured) */
  uint32_t hz;             /* wanted tick rate */
};

/* The TSC or APIC timer rate must give at least this many counts per tick; below it the
 * measurement is not trusted (a stopped or absurdly slow timer). */
#define X86_TICK_MIN_COUNTS 100u

struct x86_tick_plan {
  enum x86_tick_source source;
  const char *reason; /* why this source: a word for the log, never NULL */
  uint64_t period;    /* TSC ticks (tsc_deadline) or APIC initial count (lapic); 0 for pit */
};

/* The source and its period. With lapic_error set, or neither a TSC-deadline period nor an APIC
 * count of at least X86_TICK_MIN_COUNTS (and at most 32 bits), the plan is the PIT. */
struct x86_tick_plan x86_tick_choose(const struct x86_tick_facts *f);

/* "tsc_deadline", "lapic" or "pit". */
const char *x86_tick_source_name(enum x86_tick_source s);

/* The APIC timer's rate from one window: apic_counts counted down while tsc_ticks TSC ticks
 * passed, at tsc_hz. 0 when the inputs cannot give a rate (zeros, a window over ~5 s). */
uint64_t x86_tick_lapic_hz(uint64_t apic_counts, uint64_t tsc_ticks, uint64_t tsc_hz);

/* The median of n (1..8) rates; the array is sorted in place. 0 for n out of range. A single
 * window can be stretched by the emulator or host losing the CPU between the two reads. */
uint64_t x86_tick_median(uint64_t *v, uint32_t n);

#endif
