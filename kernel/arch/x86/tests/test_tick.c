/*
 * Host tests of arch/x86/tick_calc.c: which timer drives D0's host tick and the numbers it is
 * programmed with (the APIC timer's rate from a TSC window, the median of windows, the periods).
 * Prints "tick: N checks, N failed".
 */
#include <stdint.h>
#include <string.h>

#include "arch/x86/tick_calc.h"
#include "check.h"

#define GHZ 1000000000ull

static struct x86_tick_plan choose(const char *lapic_error, bool deadline, uint64_t tsc_hz,
                                   uint64_t lapic_hz)
{
  struct x86_tick_facts f = {lapic_error, deadline, tsc_hz, lapic_hz, 250};
  return x86_tick_choose(&f);
}

static void test_choice(void)
{
  /* TSC-deadline wins whenever CPUID has it and the TSC was measured: period = TSC ticks. */
  struct x86_tick_plan p = choose(NULL, true, 3 * GHZ, 0);
  CHECK_EQ(p.source, X86_TICK_TSC_DEADLINE);
  CHECK_STR(p.reason, "cpuid_tsc_deadline");
  CHECK_EQ(p.period, 12000000u);
  CHECK_STR(x86_tick_source_name(p.source), "tsc_deadline");
  /* Rounded to the nearest count. */
  CHECK_EQ(choose(NULL, true, 1000000125ull, 0).period, 4000001u);
  CHECK_EQ(choose(NULL, true, 1000000124ull, 0).period, 4000000u);

  /* No TSC-deadline: the periodic APIC timer at its measured rate. */
  p = choose(NULL, false, 3 * GHZ, 62500000);
  CHECK_EQ(p.source, X86_TICK_LAPIC);
  CHECK_STR(p.reason, "no_tsc_deadline");
  CHECK_EQ(p.period, 250000u);
  CHECK_STR(x86_tick_source_name(p.source), "lapic");

  /* The PIT only as the fallback, with the reason named. */
  p = choose("xapic_map_failed", true, 3 * GHZ, 62500000);
  CHECK_EQ(p.source, X86_TICK_PIT);
  CHECK_STR(p.reason, "xapic_map_failed");
  CHECK_EQ(p.period, 0u);
  CHECK_STR(x86_tick_source_name(p.source), "pit");
  p = choose("apic_disabled", false, 3 * GHZ, 0);
  CHECK_STR(p.reason, "apic_disabled");
  p = choose(NULL, true, 0, 62500000);
  CHECK_EQ(p.source, X86_TICK_PIT);
  CHECK_STR(p.reason, "tsc_unmeasured");
  p = choose(NULL, false, 3 * GHZ, 0);
  CHECK_EQ(p.source, X86_TICK_PIT);
  CHECK_STR(p.reason, "lapic_timer_stopped");
  /* Fewer than X86_TICK_MIN_COUNTS counts per tick, or more than the 32-bit initial count. */
  p = choose(NULL, false, 3 * GHZ, 250u * (X86_TICK_MIN_COUNTS - 1));
  CHECK_EQ(p.source, X86_TICK_PIT);
  CHECK_STR(p.reason, "lapic_timer_out_of_range");
  CHECK_EQ(choose(NULL, false, 3 * GHZ, 250u * X86_TICK_MIN_COUNTS).period, X86_TICK_MIN_COUNTS);
  p = choose(NULL, false, 3 * GHZ, 250ull * 0x100000000ull);
  CHECK_EQ(p.source, X86_TICK_PIT);
  CHECK_STR(p.reason, "lapic_timer_out_of_range");
  CHECK_EQ(choose(NULL, false, 3 * GHZ, 250ull * 0xffffffffull).period, 0xffffffffull);
  /* A TSC too slow for a deadline period falls to the APIC timer, then to the PIT. */
  p = choose(NULL, true, 250u * 10, 62500000);
  CHECK_EQ(p.source, X86_TICK_LAPIC);
  CHECK_STR(p.reason, "tsc_deadline_unusable");
  CHECK_EQ(choose(NULL, true, 250u * 10, 0).source, X86_TICK_PIT);
  /* hz 0 is never a period. */
  struct x86_tick_facts f = {NULL, true, 3 * GHZ, 62500000, 0};
  CHECK_EQ(x86_tick_choose(&f).source, X86_TICK_PIT);
  CHECK_EQ(x86_tick_choose(NULL).source, X86_TICK_PIT);
  CHECK(x86_tick_choose(NULL).reason != NULL);
}

static void test_lapic_rate(void)
{
  /* QEMU: a 1 GHz APIC bus divided by 16 counts 625,000 in 10 ms; a 3 GHz TSC counts 3e7. */
  CHECK_EQ(x86_tick_lapic_hz(625000, 30000000, 3 * GHZ), 62500000u);
  /* A 100 MHz bus / 16 over 10 ms of a 2.5 GHz TSC. */
  CHECK_EQ(x86_tick_lapic_hz(62500, 25000000, 2500000000ull), 6250000u);
  /* Windows of whole seconds keep their precision (no overflow of rest * 1e9). */
  CHECK_EQ(x86_tick_lapic_hz(62500000, 3 * GHZ + 3 * GHZ / 2, 3 * GHZ), 41666666u);
  /* Every count of a full 32-bit countdown over 5 s still fits. */
  CHECK_EQ(x86_tick_lapic_hz(0xffffffffull, 5 * GHZ, GHZ), 858993459u);
  /* Nothing to divide, a window over 5 s, a count over 32 bits, a TSC above 18 GHz. */
  CHECK_EQ(x86_tick_lapic_hz(0, 30000000, 3 * GHZ), 0u);
  CHECK_EQ(x86_tick_lapic_hz(625000, 0, 3 * GHZ), 0u);
  CHECK_EQ(x86_tick_lapic_hz(625000, 30000000, 0), 0u);
  CHECK_EQ(x86_tick_lapic_hz(625000, 6 * GHZ, GHZ), 0u);
  CHECK_EQ(x86_tick_lapic_hz(0x100000000ull, GHZ, GHZ), 0u);
  CHECK_EQ(x86_tick_lapic_hz(625000, 30000000, 19 * GHZ), 0u);
  /* A window shorter than one ns of TSC (a TSC faster than 1 GHz, one tick) gives no rate. */
  CHECK_EQ(x86_tick_lapic_hz(1, 1, 3 * GHZ), 0u);
}

static void test_median(void)
{
  uint64_t a[3] = {62500000, 31250000, 62400000}; /* one window stretched: the host was away */
  CHECK_EQ(x86_tick_median(a, 3), 62400000u);
  CHECK(a[0] <= a[1] && a[1] <= a[2]);
  uint64_t b[1] = {7};
  CHECK_EQ(x86_tick_median(b, 1), 7u);
  uint64_t c[4] = {4, 3, 2, 1};
  CHECK_EQ(x86_tick_median(c, 4), 3u);
  uint64_t d[9] = {0};
  CHECK_EQ(x86_tick_median(d, 9), 0u);
  CHECK_EQ(x86_tick_median(d, 0), 0u);
  CHECK_EQ(x86_tick_median(NULL, 3), 0u);
}

int main(void)
{
  RUN(test_choice);
  RUN(test_lapic_rate);
  RUN(test_median);
  return check_exit("tick");
}
