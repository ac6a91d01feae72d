/* When a CPU may halt instead of polling (hv/idle.h): each condition alone keeps it awake, at
 * its boundary; a deadline less than a tick away keeps it polling. */
#include "hv/idle.h"
#include "check.h"

#define MS 1000000ull
#define TICK (4 * MS)
#define NOW (1000 * MS)

static struct idle_view quiet(void)
{
  /* Nothing ran, the uplink never moved a frame, nobody waits: may halt. */
  return (struct idle_view){.now_ns = NOW, .last_ran_ns = 0, .next_wake_ns = IDLE_NO_DEADLINE,
                            .last_net_ns = 0, .tick_ns = TICK};
}

static void test_quiet_cpu_halts(void)
{
  struct idle_view v = quiet();
  CHECK(idle_may_halt(&v));
}

static void test_no_tick_never_halts(void)
{
  struct idle_view v = quiet();
  v.tick_ns = 0; /* nothing would wake it */
  CHECK(!idle_may_halt(&v));
}

static void test_recent_run_keeps_it_awake(void)
{
  struct idle_view v = quiet();
  v.last_ran_ns = NOW - IDLE_ACTIVE_NS + 1;
  CHECK(!idle_may_halt(&v));
  v.last_ran_ns = NOW - IDLE_ACTIVE_NS;
  CHECK(idle_may_halt(&v));
  v.last_ran_ns = NOW + MS; /* read on another CPU's clock, ahead of ours: just ran */
  CHECK(!idle_may_halt(&v));
}

static void test_recent_uplink_frame_keeps_it_awake(void)
{
  struct idle_view v = quiet();
  v.last_net_ns = NOW - IDLE_NET_QUIET_NS + 1;
  CHECK(!idle_may_halt(&v));
  v.last_net_ns = NOW - IDLE_NET_QUIET_NS;
  CHECK(idle_may_halt(&v));
  v.last_net_ns = NOW + 1;
  CHECK(!idle_may_halt(&v));
}

static void test_deadline_within_a_tick_keeps_it_polling(void)
{
  struct idle_view v = quiet();
  v.next_wake_ns = NOW + TICK - 1; /* the tick could come after it */
  CHECK(!idle_may_halt(&v));
  v.next_wake_ns = NOW + TICK;
  CHECK(idle_may_halt(&v));
  v.next_wake_ns = NOW; /* due now */
  CHECK(!idle_may_halt(&v));
  v.next_wake_ns = NOW - MS; /* overdue */
  CHECK(!idle_may_halt(&v));
  v.next_wake_ns = NOW + 10 * MS;
  v.tick_ns = 20 * MS; /* a slower tick needs a farther deadline */
  CHECK(!idle_may_halt(&v));
}

void test_idle_all(void)
{
  RUN(test_quiet_cpu_halts);
  RUN(test_no_tick_never_halts);
  RUN(test_recent_run_keeps_it_awake);
  RUN(test_recent_uplink_frame_keeps_it_awake);
  RUN(test_deadline_within_a_tick_keeps_it_polling);
}
