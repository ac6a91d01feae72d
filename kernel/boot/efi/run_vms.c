/*
 * After ExitBootServices: D0 runs every VM of the build on its one CPU and decides the build's
 * health. Contract in vms.h.
 *
 * Scheduling is round-robin: each runnable VM runs in turn for a slice (SLICE_NS, or RUN_BATCH
 * exits). The host tick (arch/x86/host_tick.h) forces an exit at least every 4 ms, so a guest
 * that computes without exiting still loses the CPU at the end of its slice, and gets its own
 * timer interrupts delivered meanwhile. A VM whose vCPU halted is runnable again once an interrupt is pending for it (its
 * platform timers are polled here) or HALT_WAIT_NS after it halted (Linux's idle loop tolerates
 * a spurious wake-up; a guest that halts with interrupts off is woken the same way). When every
 * running VM is halted, D0 polls their timers until one has work.
 *
 * Health: each VM's verdict (kernel/hv/health.h) is logged when it changes (ev=vm_health). The
 * build has failed as soon as one VM has; it is healthy once every VM is healthy and settled
 * (below: its health window closed, or it stopped). The first aggregate
 * verdict goes to the A/B stage exactly once: ab_health_passed() commits a trial (or a first
 * build), ab_health_failed() rolls a trial back (it resets the machine and does not return).
 *
 * Watchdog (wdog/watchdog.h): armed once the VMs are started, petted at the top of every round,
 * disarmed only at the deliberate end (every VM stopped, then ev=halt). A D0 that stops going
 * round this loop is reset by the chipset D0_WATCHDOG_PERIOD_MS after its last round.
 */
#include "ab/ab.h"
#include "arch/x86/host_tick.h"
#include "arch/x86/pages.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "log/log.h"
#include "net.h"
#include "net_stats.h"
#include "uplink.h"
#include "vms.h"
#include "wdog/watchdog.h"

#define RUN_BATCH 4096u
#define HALT_WAIT_NS 10000000ull /* 10 ms */
#define SLICE_NS 10000000ull     /* 10 ms of one VM before the next one's turn */

static const char *const exit_names[ARCH_EXIT_REASON_COUNT] = {
    [ARCH_EXIT_NONE] = "none",       [ARCH_EXIT_IO] = "io",
    [ARCH_EXIT_MMIO] = "mmio",       [ARCH_EXIT_CPUID] = "cpuid",
    [ARCH_EXIT_MSR] = "msr",         [ARCH_EXIT_HLT] = "hlt",
    [ARCH_EXIT_SHUTDOWN] = "shutdown", [ARCH_EXIT_INTR] = "intr",
    [ARCH_EXIT_ENTRY_FAIL] = "entry_fail", [ARCH_EXIT_BAD_ACCESS] = "bad_access",
};

static void report_health(struct launched_vm *l, uint64_t now)
{
  struct health h = vm_health(&l->vm, now);
  if (h.verdict == HEALTH_PENDING || (h.verdict == l->last.verdict && h.reason == l->last.reason))
    return;
  l->last = h;
  log_begin("vm_health");
  log_str("vm", l->vm.name);
  log_str("verdict", h.verdict == HEALTH_HEALTHY ? "healthy" : "failed");
  log_str("reason", health_reason_name(h.reason));
  log_end();
}

/* A VM's network counters (its bridge port's) as ev=net_stats; remembered as logged. */
static void report_net(struct launched_vm *l)
{
  l->net_logged = l->port->counters;
  net_stats_log("vm", l->vm.name, &l->net_logged);
}

/* Every NET_STATS_PERIOD_NS: ev=net_stats for each running VM whose counters changed. */
static void report_net_changes(struct launched_vm *vms, uint32_t n, uint64_t now, uint64_t *last)
{
  if (now - *last < NET_STATS_PERIOD_NS)
    return;
  *last = now;
  for (uint32_t i = 0; i < n; i++)
    if (!vms[i].stop_logged &&
        memcmp(&vms[i].port->counters, &vms[i].net_logged, sizeof vms[i].net_logged) != 0)
      report_net(&vms[i]);
}

/* ev=exit_top: the ports and MMIO addresses the VM's io and mmio exits went to (hv/exit_count.h),
 * the busiest EXIT_COUNT_TOP of each, and how many exits the full tables could not place. */
static void report_exit_top(const struct vm *vm)
{
  char text[EXIT_COUNT_TEXT_MAX];
  log_begin("exit_top");
  log_str("vm", vm->name);
  exit_count_top(&vm->stats.io_at, EXIT_COUNT_TOP, text, sizeof text);
  log_str("io", text);
  log_u64("io_other", vm->stats.io_at.other);
  exit_count_top(&vm->stats.mmio_at, EXIT_COUNT_TOP, text, sizeof text);
  log_str("mmio", text);
  log_u64("mmio_other", vm->stats.mmio_at.other);
  log_end();
}

/* ev=vm_stopped, ev=vm_stats (the per-VM counters bench/hv reads), ev=exit_top, then its last
 * ev=net_stats. */
static void report_stopped(struct launched_vm *l)
{
  const struct vm *vm = &l->vm;
  const struct hv_stats *s = &vm->stats;
  l->stop_logged = true;
  bridge_port_down(l->port);
  log_begin("vm_stopped");
  log_str("vm", vm->name);
  log_str("state", vm_state_name(vm->state));
  if (vm->stop_err != 0)
    log_str("err", hv_strerror(vm->stop_err));
  log_end();
  log_begin("vm_stats");
  log_str("vm", vm->name);
  uint64_t total = 0;
  for (uint32_t r = 0; r < ARCH_EXIT_REASON_COUNT; r++)
    total += s->exits[r];
  log_u64("exits", total);
  for (uint32_t r = 0; r < ARCH_EXIT_REASON_COUNT; r++)
    log_u64(exit_names[r], s->exits[r]);
  log_u64("blk_requests", s->blk_requests);
  log_u64("blk_read_bytes", s->blk_read_bytes);
  log_u64("blk_write_bytes", s->blk_write_bytes);
  log_u64("net_tx_frames", s->net_tx_frames);
  log_u64("net_tx_chains", s->net_tx_chains);
  log_u64("net_rx_frames", s->net_rx_frames);
  log_u64("net_drops", s->net_drops);
  log_u64("run_ms", s->run_ns / 1000000ull);
  log_u64("d0_bytes", l->d0_bytes);
  log_u64("overlay_bytes", l->overlay_bytes);
  log_u64("ram_bytes", l->ram_bytes);
  log_u64("console_lines", l->console_budget.passed);
  log_u64("console_dropped", l->console_budget.dropped);
  log_u64("events_dropped", l->event_budget.dropped);
  log_end();
  report_exit_top(vm);
  report_net(l);
}

/*
 * A healthy VM can still fail until its health window (health_timeout_s from its start) has
 * closed, unless it has stopped. PID1 reports readiness right after the workload's exec, so a
 * workload that exits 1 at once is ready first: committing at the first readiness would commit
 * it. The build is therefore healthy only once every VM's healthy verdict has settled.
 */
static bool settled(const struct vm *vm, uint64_t now)
{
  return vm->state != VM_RUNNING ||
         now - vm->start_ns >= (uint64_t)vm->health_timeout_s * 1000000000ull;
}

/* The build's verdict over every VM: failed as soon as one failed, healthy once all are, settled. */
static void decide(struct launched_vm *vms, uint32_t n, uint64_t now, bool *decided)
{
  bool all_healthy = true;
  for (uint32_t i = 0; i < n; i++) {
    /* The verdict ev=vm_health logged (report_health), so the log shows what was decided on. */
    struct health h = vms[i].last;
    if (h.verdict == HEALTH_FAILED) {
      *decided = true;
      ab_health_failed(vms[i].vm.name, health_reason_name(h.reason));
      return;
    }
    all_healthy = all_healthy && h.verdict == HEALTH_HEALTHY && settled(&vms[i].vm, now);
  }
  if (all_healthy) {
    *decided = true;
    log_begin("build_healthy");
    log_u64("vms", n);
    log_end();
    ab_health_passed();
  }
}

static bool runnable(struct launched_vm *l, uint64_t now)
{
  if (l->vm.state != VM_RUNNING)
    return false;
  if (!l->vm.halted)
    return true;
  return vm_interrupt_pending(&l->vm, now) || now - l->halted_ns >= HALT_WAIT_NS;
}

void run_vms(struct launched_vm *vms, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++) {
    size_t free_before = x86_pages_free_count();
    int err = vm_start(&vms[i].vm, &vms[i].regs);
    vms[i].d0_bytes += (uint64_t)(free_before - x86_pages_free_count()) * X86_PAGE;
    if (err != HV_OK)
      vm_stop(&vms[i].vm, VM_FAILED, err, "vm-start-failed");
  }
  bool decided = false;
  uint64_t net_logged_ns = arch_time_ns();
  watchdog_arm();
#ifdef D0_SELFTEST_HANG
  /* Test builds only (test/ab/watchdog.test.ts; release builds never define it): D0 hangs with
   * interrupts off right after arming, as a D0 stuck in a loop would. Only the watchdog ends it. */
  log_begin("selftest_hang");
  log_end();
  x86_cli();
  for (;;)
    x86_pause();
#endif
  for (;;) {
    bool any_running = false, ran = false;
    watchdog_pet();
    for (uint32_t i = 0; i < n; i++) {
      struct launched_vm *l = &vms[i];
      uint64_t now = arch_time_ns();
      if (runnable(l, now)) {
        ran = true;
        vm_run_until(&l->vm, RUN_BATCH, now + SLICE_NS);
        if (l->vm.halted)
          l->halted_ns = arch_time_ns();
      }
      report_health(l, arch_time_ns());
      if (l->vm.state == VM_RUNNING)
        any_running = true;
      else if (!l->stop_logged)
        report_stopped(l);
    }
    net_tick(arch_time_ns()); /* throttled VMs resume, NAT entries expire */
    uplink_tick(arch_time_ns()); /* D0's own address: a bounded budget per round */
    report_net_changes(vms, n, arch_time_ns(), &net_logged_ns);
    if (!decided)
      decide(vms, n, arch_time_ns(), &decided);
    if (!any_running)
      break;
    if (!ran)
      x86_pause(); /* every VM halted and none has an interrupt yet: poll again */
  }
  uplink_report();
  net_report();
  watchdog_disarm(); /* every VM stopped: the halt below is an end, not a hang */
  log_begin("halt");
  log_u64("vms", n);
  log_u64("host_ticks", x86_host_ticks());
  log_u64("stray_irqs", x86_host_stray_irqs());
  log_end();
  x86_halt_forever();
}
