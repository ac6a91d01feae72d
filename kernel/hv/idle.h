/*
 * When a CPU that runs VMs may halt instead of polling (boot/efi/run_vms.c).
 *
 * A CPU with nothing to run used to spin: PAUSE, look again. On a real host that is a core at
 * full power for nothing; under an emulator it is a host thread at 100 % that the emulator's
 * other threads, and everything beside it, wait for. Halting instead (STI; HLT) sleeps until
 * the next interrupt: the host tick (at most one period away: arch/x86/host_tick.h), a kick
 * from another CPU (an interrupt made pending for one of this CPU's vCPUs), never longer.
 *
 * So a halt may last up to one tick period, and the rule is that nobody waits longer for it:
 *   - a halted vCPU's next deadline (its timers, or its HALT_WAIT give-up) must be at least one
 *     tick period away;
 *   - what is not woken by an interrupt is covered by staying awake a little after it happens:
 *     the CPU ran a vCPU less than IDLE_ACTIVE_NS ago (what its guest just did may need a quick
 *     answer: a TX completion owed in 1 ms, a reply from another VM), or its uplink NIC, which
 *     D0 polls (kernel/dev/net/e1000.c: no interrupts), moved a frame less than IDLE_NET_QUIET_NS
 *     ago (a connection in progress keeps its latency; an idle one pays at most a tick on its
 *     first frame);
 *   - a CPU without a running tick never halts (nothing would wake it).
 */
#ifndef D0_HV_IDLE_H
#define D0_HV_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define IDLE_NO_DEADLINE UINT64_MAX
#define IDLE_ACTIVE_NS 1000000ull      /* 1 ms */
#define IDLE_NET_QUIET_NS 50000000ull  /* 50 ms */

struct idle_view {
  uint64_t now_ns;
  /* When a vCPU of this CPU last ran (its slice ended); 0: never. */
  uint64_t last_ran_ns;
  /* The earliest time one of this CPU's waiting vCPUs needs a look; IDLE_NO_DEADLINE: none. */
  uint64_t next_wake_ns;
  /* When the uplink last moved a frame (the CPU that polls it); 0: never or not this CPU. */
  uint64_t last_net_ns;
  /* The host tick's period on this CPU; 0: no tick here. */
  uint64_t tick_ns;
};

/* Whether the CPU may halt until its next interrupt now (above). */
bool idle_may_halt(const struct idle_view *v);

#endif
