/* The 8254: Linux's periodic tick and one-shot programming, TSC calibration through channel 2
 * and port 0x61, latch and read-back, gate, and hostile accesses. Time is the fake clock. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/pit.h"
#include "check.h"

#define T0 (5000ull * 1000000000ull)
#define HZ_LATCH 4773u /* DIV_ROUND_CLOSEST(PIT_TICK_RATE, 250) */

static struct pit pit;
static uint32_t edges;

static void on_irq0(void *ctx)
{
  (void)ctx;
  edges++;
}

static void out(uint16_t port, uint8_t v) { pit_ops.write(&pit, port - PIT_PORT, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)pit_ops.read(&pit, port - PIT_PORT, 1); }

static void fresh(void)
{
  fake_time_set(T0);
  fake_events_clear();
  edges = 0;
  pit_init(&pit, NULL, on_irq0, NULL);
}

/* Sets the fake clock `ticks` PIT ticks after T0. */
static void at_tick(uint64_t ticks) { fake_time_set(T0 + pit_ticks_to_ns(ticks)); }

static void test_tick_conversion(void)
{
  CHECK_EQ(pit_ns_to_ticks(1000000000ull), PIT_HZ);
  CHECK_EQ(pit_ticks_to_ns(PIT_HZ), 1000000000ull);
  CHECK_EQ(pit_ns_to_ticks(838), 0); /* one tick is 838.1 ns */
  CHECK_EQ(pit_ns_to_ticks(839), 1);
  CHECK_EQ(pit_ticks_to_ns(1), 839);
  /* ticks_to_ns is the first instant with that many ticks, for any size. */
  uint64_t samples[] = {1, 2, 4773, 65536, PIT_HZ - 1, PIT_HZ + 1, 123456789012ull,
                        1ull << 50, 15000000000000000ull};
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    uint64_t ns = pit_ticks_to_ns(samples[i]);
    CHECK_EQ(pit_ns_to_ticks(ns), samples[i]);
    CHECK_EQ(pit_ns_to_ticks(ns - 1), samples[i] - 1);
  }
  /* No overflow at the top of the range: compare with 128-bit arithmetic. */
  uint64_t big = ~0ull;
  CHECK_EQ(pit_ns_to_ticks(big), (uint64_t)((unsigned __int128)big * PIT_HZ / 1000000000u));
}

static void test_linux_periodic_tick(void)
{
  fresh();
  /* drivers/clocksource/i8253.c pit_set_periodic: binary, mode 2, LSB/MSB, channel 0. */
  out(0x43, 0x34);
  CHECK_EQ(pit_poll(&pit, T0), PIT_NO_DEADLINE); /* no count yet */
  out(0x40, HZ_LATCH & 0xff);
  out(0x40, HZ_LATCH >> 8);
  uint64_t first = pit_poll(&pit, T0);
  CHECK_EQ(first, T0 + pit_ticks_to_ns(HZ_LATCH));
  CHECK_EQ(first - T0, 4000228); /* 4773 ticks = 4.000228 ms, rounded up */
  CHECK_EQ(edges, 0);
  CHECK_EQ(pit_poll(&pit, first - 1), first);
  CHECK_EQ(edges, 0);
  uint64_t second = pit_poll(&pit, first);
  CHECK_EQ(edges, 1);
  CHECK_EQ(second, T0 + pit_ticks_to_ns(2 * HZ_LATCH));
  /* The guest was not run for 10 periods: one edge, and the next deadline is in the future. */
  uint64_t late = T0 + pit_ticks_to_ns(12 * HZ_LATCH) + 5;
  uint64_t next = pit_poll(&pit, late);
  CHECK_EQ(edges, 2);
  CHECK_EQ(next, T0 + pit_ticks_to_ns(13 * HZ_LATCH));
  /* Mode 2 count runs N..1; OUT is low for the last tick of each period. */
  CHECK_EQ(pit_count(&pit, 0, T0), HZ_LATCH);
  CHECK_EQ(pit_count(&pit, 0, T0 + pit_ticks_to_ns(1000)), HZ_LATCH - 1000);
  CHECK_EQ(pit_count(&pit, 0, T0 + pit_ticks_to_ns(HZ_LATCH - 1)), 1);
  CHECK(!pit_out(&pit, 0, T0 + pit_ticks_to_ns(HZ_LATCH - 1)));
  CHECK(pit_out(&pit, 0, T0 + pit_ticks_to_ns(HZ_LATCH)));
  CHECK_EQ(pit_count(&pit, 0, T0 + pit_ticks_to_ns(HZ_LATCH)), HZ_LATCH);
}

static void test_latch_and_read_toggle(void)
{
  fresh();
  out(0x43, 0x34);
  out(0x40, HZ_LATCH & 0xff);
  out(0x40, HZ_LATCH >> 8);
  at_tick(1000);
  out(0x43, 0x00); /* counter latch, channel 0 */
  at_tick(2000);
  out(0x43, 0x00); /* ignored: the first latch is not read yet */
  CHECK_EQ(in(0x40), (HZ_LATCH - 1000) & 0xff);
  at_tick(3000);
  CHECK_EQ(in(0x40), (HZ_LATCH - 1000) >> 8);
  /* Latch consumed: live reads, LSB then MSB of the count at each read. */
  CHECK_EQ(in(0x40), (HZ_LATCH - 3000) & 0xff);
  CHECK_EQ(in(0x40), (HZ_LATCH - 3000) >> 8);
  /* LSB-only access mode: every read is the LSB. */
  out(0x43, 0x14);
  out(0x40, 200);
  at_tick(3050);
  CHECK_EQ(in(0x40), 150);
  CHECK_EQ(in(0x40), 150);
  /* MSB-only: a write sets the high byte. */
  out(0x43, 0x24);
  out(0x40, 0x12);
  CHECK_EQ(pit.ch[0].reload, 0x1200);
  CHECK_EQ(in(0x40), 0x12);
}

static void test_tsc_calibration_channel2(void)
{
  fresh();
  /* arch/x86/kernel/tsc.c pit_calibrate_tsc: gate on, speaker off, channel 2 mode 0, 50 ms. */
  uint32_t latch = (uint32_t)(PIT_HZ / 20);
  pit_port61_write(&pit, (uint8_t)((pit_port61_read(&pit, T0) & ~PORT61_SPEAKER) | PORT61_GATE2),
                   T0);
  out(0x43, 0xb0);
  out(0x42, latch & 0xff);
  out(0x42, latch >> 8);
  CHECK_EQ(pit_port61_read(&pit, T0) & PORT61_OUT2, 0);
  at_tick(latch - 1);
  CHECK_EQ(pit_port61_read(&pit, arch_time_ns()) & PORT61_OUT2, 0);
  at_tick(latch);
  CHECK_EQ(pit_port61_read(&pit, arch_time_ns()) & PORT61_OUT2, PORT61_OUT2);
  CHECK_EQ(pit_port61_read(&pit, arch_time_ns()) & PORT61_GATE2, PORT61_GATE2);
  CHECK_EQ(edges, 0); /* channel 2 is not an interrupt source */

  /* quick_pit_calibrate: mode 0 from 0xffff; pit_verify_msb reads LSB then MSB. */
  fresh();
  pit_port61_write(&pit, PORT61_GATE2, T0);
  out(0x43, 0xb0);
  out(0x42, 0xff);
  out(0x42, 0xff);
  in(0x42);
  CHECK_EQ(in(0x42), 0xff);
  at_tick(256 + 10);
  in(0x42);
  CHECK_EQ(in(0x42), 0xfe);
  at_tick(0xffff + 100); /* past terminal count the count wraps and keeps going */
  in(0x42);
  CHECK_EQ(in(0x42), 0xff);
  CHECK(pit_port61_read(&pit, arch_time_ns()) & PORT61_OUT2);

  /* Gate low pauses mode 0 on channel 2; gate high resumes from the same count. */
  fresh();
  pit_port61_write(&pit, PORT61_GATE2, T0);
  out(0x43, 0xb0);
  out(0x42, 0x00);
  out(0x42, 0x10); /* 4096 */
  at_tick(1000);
  pit_port61_write(&pit, 0, arch_time_ns());
  at_tick(3000);
  CHECK_EQ(pit_count(&pit, 2, arch_time_ns()), 3096);
  pit_port61_write(&pit, PORT61_GATE2, arch_time_ns());
  at_tick(3500);
  CHECK_EQ(pit_count(&pit, 2, arch_time_ns()), 2596);
}

static void test_oneshot_and_readback(void)
{
  fresh();
  /* pit_set_oneshot + pit_next_event: mode 4, count 1000: one edge, then none. */
  out(0x43, 0x38);
  out(0x40, 1000 & 0xff);
  out(0x40, 1000 >> 8);
  uint64_t d = pit_poll(&pit, T0);
  CHECK_EQ(d, T0 + pit_ticks_to_ns(1001));
  CHECK_EQ(pit_poll(&pit, d), PIT_NO_DEADLINE);
  CHECK_EQ(edges, 1);
  CHECK_EQ(pit_poll(&pit, d + 1000000000ull), PIT_NO_DEADLINE);
  CHECK_EQ(edges, 1);
  /* A new count re-arms it from now. */
  at_tick(5000);
  out(0x40, 100);
  out(0x40, 0);
  CHECK_EQ(pit_poll(&pit, arch_time_ns()), arch_time_ns() + pit_ticks_to_ns(101));

  /* Mode 0 on channel 0 (the shutdown path writes 0x30 then 0, 0): OUT rises at 65536. */
  fresh();
  out(0x43, 0x30);
  CHECK(!pit_out(&pit, 0, T0));
  out(0x40, 0);
  out(0x40, 0);
  CHECK_EQ(pit_poll(&pit, T0), T0 + pit_ticks_to_ns(65536));

  /* Read-back: status then count of channel 0. */
  fresh();
  out(0x43, 0x34);
  out(0x40, 0x00);
  out(0x40, 0x01); /* 256 */
  at_tick(6);
  out(0x43, 0xc2);
  uint8_t st = in(0x40);
  CHECK_EQ(st, PIT_ST_OUT | (3u << 4) | (2u << 1));
  CHECK_EQ(in(0x40), 250);
  CHECK_EQ(in(0x40), 0);
  /* Read-back of status only, with null count after a new control word. */
  out(0x43, 0x30);
  out(0x43, 0xe2);
  CHECK_EQ(in(0x40), PIT_ST_NULL | (3u << 4));
}

static void test_hostile(void)
{
  fresh();
  out(0x40, 0x12); /* no control word yet */
  CHECK(fake_event_find("count-before-control-word") != NULL);
  CHECK_EQ(pit_poll(&pit, T0), PIT_NO_DEADLINE);
  CHECK_EQ(in(0x43), 0);
  CHECK(fake_event_find("read-control-port") != NULL);
  out(0x43, 0x35); /* BCD: logged, counted in binary */
  CHECK(fake_event_find("bcd-mode-counted-binary") != NULL);
  /* Modes 6 and 7 alias 2 and 3. */
  out(0x43, 0x3c);
  CHECK_EQ(pit.ch[0].mode, 2);
  out(0x43, 0x3e);
  CHECK_EQ(pit.ch[0].mode, 3);
  /* Mode 3 square wave: count falls by 2, OUT high for the first half. */
  out(0x40, 100);
  out(0x40, 0);
  at_tick(10);
  CHECK_EQ(pit_count(&pit, 0, arch_time_ns()), 80);
  CHECK(pit_out(&pit, 0, arch_time_ns()));
  at_tick(60);
  CHECK(!pit_out(&pit, 0, arch_time_ns()));
  /* A 4-byte write covering 0x40..0x43 is four byte writes in port order. */
  fresh();
  pit_ops.write(&pit, 0, 4, 0x34000000u);
  CHECK_EQ(pit.ch[0].mode, 2);
  /* Mode 1 on channel 0: its gate never rises, so it never starts. */
  out(0x43, 0x32);
  out(0x40, 10);
  out(0x40, 0);
  CHECK_EQ(pit_poll(&pit, T0 + 1000000000ull), PIT_NO_DEADLINE);
  CHECK(pit_out(&pit, 0, T0));
  /* Out-of-range channel queries are answered, not dereferenced. */
  CHECK_EQ(pit_count(&pit, 7, T0), 0);
  CHECK(!pit_out(&pit, 3, T0));
}

void test_pit_all(void)
{
  RUN(test_tick_conversion);
  RUN(test_linux_periodic_tick);
  RUN(test_latch_and_read_toggle);
  RUN(test_tsc_calibration_channel2);
  RUN(test_oneshot_and_readback);
  RUN(test_hostile);
}
