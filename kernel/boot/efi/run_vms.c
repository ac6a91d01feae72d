/*
 * After ExitBootServices: D0 runs every VM of the build, each on the CPU it is placed on, and
 * decides the build's health. Contract in vms.h; the CPU model in kernel/docs/acpi-and-cpus.md
 * ("VMs on CPUs").
 *
 * Placement (place_vms): vCPUs, not VMs, are placed. The CPUs that came up (arch/x86/smp.h: the
 * BSP first) in order; the vCPUs in launch order of their VMs, each VM's in index order; the k-th
 * vCPU runs on CPU k mod N. With at least as many CPUs as vCPUs each vCPU has a CPU of its own
 * (ev=cpu_plan policy=dedicated); with more vCPUs than CPUs they share them round-robin
 * (policy=shared), stated per vCPU in ev=vm_cpu. A build is never refused for its vCPU count: a
 * one-CPU host runs every vCPU on the BSP (a VM's APs then take turns with its BSP, which Linux
 * tolerates: it waits for an AP with a timeout of seconds, not a spin).
 *
 * Each CPU runs its own vCPUs round-robin: each runnable one runs in turn for a slice (SLICE_NS,
 * or RUN_BATCH exits). The host tick (arch/x86/host_tick.h, started on every CPU that runs VMs)
 * forces an exit at least every 4 ms, so a guest that computes without exiting still loses the
 * CPU at the end of its slice, and gets its own timer interrupts delivered meanwhile. A vCPU that
 * halted is runnable again once an interrupt is pending for it (its VM's platform timers are
 * polled here) or HALT_WAIT_NS after it halted (Linux's idle loop tolerates a spurious wake-up;
 * a guest that halts with interrupts off is woken the same way). An AP that waits for its INIT
 * and SIPI (hv/vm.h) is not runnable. When every vCPU of a CPU waits, that CPU halts until its
 * next interrupt (the host tick, a kick) where hv/idle.h allows it (no waiting vCPU's deadline
 * within a tick, none ran in the last 1 ms, the uplink quiet for 50 ms), else polls their timers
 * until one has work.
 *
 * The BSP also does D0's own work, between its VMs' slices: the watchdog, the network's timers
 * (net_tick, uplink_tick), the net_stats reports, the build's verdict and the final halt. An AP
 * whose VMs have all stopped parks.
 *
 * Locking: one lock, d0_lock (a FIFO ticket lock). A CPU holds it whenever it is not running a
 * guest and not idle: while a guest runs (vm_run's guest hooks) and while it waits for an
 * interrupt it drops it. So everything D0 shares between CPUs is touched under it: the bridge and
 * the router (a frame one VM sends is written into another VM's receive queue, and that VM's
 * interrupt line raised, by the sender's CPU), each VM's devices and platform (its vCPUs' exits
 * are handled one at a time, whichever CPU they ran on: an IPI one vCPU sends lands in another's
 * APIC under the lock), the page pool, the event budgets, health and the A/B verdict. The log has
 * its own lock, always taken inside d0_lock, never the other way round. An interrupt made pending
 * for a vCPU whose guest is running on another CPU makes that CPU's guest exit at once
 * (kick_others).
 *
 * Health: each VM's verdict (kernel/hv/health.h) is logged when it changes (ev=vm_health) by
 * the CPU that runs it. The build has failed as soon as one VM has; it is healthy once every VM
 * is healthy and settled (below: its health window closed, or it stopped). The first aggregate
 * verdict goes to the A/B stage exactly once, on the BSP: ab_health_passed() commits a trial (or
 * a first build), ab_health_failed() rolls a trial back (it resets the machine and does not
 * return).
 *
 * Watchdog (wdog/watchdog.h): armed once the BSP's VMs are started, petted at the top of every
 * BSP round, disarmed only at the deliberate end (every VM stopped, then ev=halt). A D0 whose BSP
 * stops going round this loop (stuck, or waiting forever for d0_lock) is reset by the chipset
 * D0_WATCHDOG_PERIOD_MS after its last round.
 */
#include "ab/ab.h"
#include "arch/x86/desc.h"
#include "arch/x86/host_tick.h"
#include "arch/x86/pages.h"
#include "arch/x86/smp.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "d0/ticket_lock.h"
#include "hv/err.h"
#include "hv/exit.h"
#include "hv/idle.h"
#include "hv/vcpu_look.h"
#include "log/log.h"
#include "net.h"
#include "net_stats.h"
#include "uplink.h"
#include "vms.h"
#include "wdog/watchdog.h"

#define RUN_BATCH 4096u
#define HALT_WAIT_NS 10000000ull /* 10 ms */
#define SLICE_NS 10000000ull     /* 10 ms of one VM before the next one's turn */

static struct ticket_lock d0_lock; /* above: everything but guests and idle waits */
/* Per CPU slot: time spent waiting for d0_lock, kicks sent, time halted idle and halts
 * (ev=cpu_stats), each CPU writing only its own; whether its guest runs or it halts idle (set
 * before the lock is dropped for it, cleared once it is retaken) and whether it was kicked since
 * (all under the lock); when a vCPU of its last ran; its APIC id. */
static struct {
  uint64_t lock_wait_ns, kicks_sent, idle_ns, halts, last_ran_ns;
  bool in_guest, idle, kicked;
  uint32_t apic_id;
  struct launched_vm *running; /* the VM whose vCPU this CPU's slice runs (NULL between) */
} per_cpu[X86_MAX_CPUS];

static void take_d0_lock(void)
{
  uint64_t t0 = arch_time_ns();
  ticket_lock(&d0_lock);
  per_cpu[x86_cpu_index()].lock_wait_ns += arch_time_ns() - t0;
}

static void drop_d0_lock(void) { ticket_unlock(&d0_lock); }

static void kick_vcpus(struct launched_vm *l, uint32_t me);

/* vm_run's guest hooks: the lock is not held while a guest runs. Before this CPU's guest runs
 * again, the other vCPUs of its VM that its last exit made an interrupt pending for (an IPI)
 * are kicked at once: a guest that waits for another vCPU's answer (a TLB shootdown, a function
 * call) would otherwise wait for that vCPU's next exit. */
static void guest_leave(void)
{
  uint32_t me = x86_cpu_index();
  if (per_cpu[me].running != NULL)
    kick_vcpus(per_cpu[me].running, me);
  per_cpu[me].in_guest = true;
  per_cpu[me].kicked = false;
  drop_d0_lock();
}

static void guest_back(void)
{
  take_d0_lock();
  per_cpu[x86_cpu_index()].in_guest = false;
}

/*
 * Kick: after this CPU's work (a vCPU's slice, the BSP's network timers) made an interrupt
 * pending for a vCPU whose guest runs on another CPU (a device line, an IPI from another vCPU of
 * its VM; not its APIC timer, which only its own CPU polls: platform_poll_vcpu), that CPU gets
 * X86_KICK_VECTOR so its guest exits and D0 there delivers the interrupt now, not at the guest's
 * next exit (up to a host tick). A CPU halted idle (idle_wait) is woken the same way. What
 * became pending since the last look is seen through platform_wakeups; at most one kick per
 * guest entry. A kick that lands before the guest is entered exits it at once (the IPI waits in
 * IRR).
 */
static void kick_vcpus(struct launched_vm *l, uint32_t me)
{
  if (!l->vm.has_platform)
    return;
  for (uint32_t v = 0; v < l->vm.vcpus; v++) {
    struct vcpu_slot *s = &l->slot[v];
    uint64_t w = platform_wakeups(&l->vm.platform, v);
    if (w == s->wakeups_seen)
      continue;
    s->wakeups_seen = w;
    if (s->cpu == me || l->vm.state != VM_RUNNING ||
        !(per_cpu[s->cpu].in_guest || per_cpu[s->cpu].idle) || per_cpu[s->cpu].kicked)
      continue;
    per_cpu[s->cpu].kicked = true;
    if (x86_kick_cpu(per_cpu[s->cpu].apic_id))
      per_cpu[me].kicks_sent++;
  }
}

static void kick_others(struct launched_vm *vms, uint32_t n)
{
  uint32_t me = x86_cpu_index();
  for (uint32_t i = 0; i < n; i++)
    kick_vcpus(&vms[i], me);
}

/* What each CPU runs: the vCPUs with slot[v].cpu == slot. */
struct cpu_run {
  uint32_t slot;
  struct launched_vm *vms;
  uint32_t n;
};
static struct cpu_run runs[X86_MAX_CPUS];

/* ev=vcpu_state for each vCPU of a VM whose health failed (hv/vcpu_look.h): where each was. */
static void report_vcpu_states(const struct launched_vm *l, uint64_t now)
{
  for (uint32_t v = 0; v < l->vm.vcpus; v++) {
    struct vcpu_look k;
    vm_vcpu_look(&l->vm, v, now, &k);
    log_begin("vcpu_state");
    log_str("vm", l->vm.name);
    log_u64("vcpu", v);
    log_u64("cpu", l->slot[v].cpu);
    log_str("state", k.state);
    log_u64("halted", k.halted);
    log_u64("exits", k.exits);
    log_u64("guest_ms", k.run_ms);
    log_str("last_exit", k.last_exit);
    log_hex("rip", k.rip);
    log_u64("if", (k.rflags >> 9) & 1u);
    if (k.has_lapic) {
      log_u64("lapic_on", k.lapic_on);
      if (k.isr >= 0)
        log_hex("isr", (uint64_t)k.isr);
      if (k.irr >= 0)
        log_hex("irr", (uint64_t)k.irr);
      log_hex("tpr", k.tpr);
      log_hex("lvt_timer", k.lvt_timer);
      if (k.timer_in_ms != VCPU_LOOK_NO_TIMER)
        log_u64("timer_in_ms", (uint64_t)k.timer_in_ms);
      log_u64("timer_fired", k.timer_fired);
      log_u64("accepted", k.accepted);
    }
    log_end();
  }
}

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
  if (h.verdict == HEALTH_FAILED && l->vm.state == VM_RUNNING)
    report_vcpu_states(l, now); /* a VM still running that failed: a timeout, where it hangs */
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
    log_u64(exit_reason_name(r), s->exits[r]);
  log_u64("blk_requests", s->blk_requests);
  log_u64("blk_read_bytes", s->blk_read_bytes);
  log_u64("blk_write_bytes", s->blk_write_bytes);
  log_u64("net_tx_frames", s->net_tx_frames);
  log_u64("net_tx_chains", s->net_tx_chains);
  log_u64("net_rx_frames", s->net_rx_frames);
  log_u64("net_drops", s->net_drops);
  log_u64("run_ms", s->run_ns / 1000000ull);
  uint64_t wait_ns = 0;
  for (uint32_t v = 0; v < vm->vcpus; v++)
    wait_ns += l->slot[v].wait_ns;
  log_u64("wait_ms", wait_ns / 1000000ull);
  log_u64("cpu", l->slot[0].cpu);
  log_u64("d0_bytes", l->d0_bytes);
  log_u64("overlay_bytes", l->overlay_bytes);
  log_u64("ram_bytes", l->ram_bytes);
  log_u64("console_lines", l->console_budget.passed);
  log_u64("console_dropped", l->console_budget.dropped);
  log_u64("events_dropped", l->event_budget.dropped);
  log_end();
  report_exit_top(vm);
  report_net(l);
  if (vm->vcpus > 1)
    for (uint32_t v = 0; v < vm->vcpus; v++) {
      log_begin("vcpu_stats");
      log_str("vm", vm->name);
      log_u64("vcpu", v);
      log_u64("cpu", l->slot[v].cpu);
      log_u64("started", vm->cpu[v].created);
      log_u64("exits", vm->cpu[v].exits);
      log_u64("guest_ms", vm->cpu[v].run_ns / 1000000ull);
      log_u64("wait_ms", l->slot[v].wait_ns / 1000000ull);
      log_end();
    }
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

/* Whether vCPU v of l can run now; when it waits (halted), *wake is lowered to the time it
 * needs a look again (its timers' next deadline, or its HALT_WAIT give-up). */
static bool runnable(struct launched_vm *l, uint32_t v, uint64_t now, uint64_t *wake)
{
  if (l->vm.state != VM_RUNNING || !vm_vcpu_started(&l->vm, v))
    return false;
  if (!l->vm.cpu[v].halted)
    return true;
  uint64_t timers;
  uint64_t give_up = l->slot[v].halted_ns + HALT_WAIT_NS;
  if (vm_interrupt_pending(&l->vm, v, now, &timers) || now >= give_up)
    return true;
  uint64_t next = timers < give_up ? timers : give_up;
  if (next < *wake)
    *wake = next;
  return false;
}

/* Every VM's vCPUs together: what place_vms places. */
static uint32_t vcpu_count(const struct launched_vm *vms, uint32_t n)
{
  uint32_t units = 0;
  for (uint32_t i = 0; i < n; i++)
    units += vms[i].vm.vcpus;
  return units;
}

/* Each vCPU's CPU slot (above: the k-th vCPU on CPU k mod N), logged; returns the CPU list's
 * length (at least 1: the BSP). */
static uint32_t place_vms(struct launched_vm *vms, uint32_t n, uint32_t *slots)
{
  uint32_t apic_ids[X86_MAX_CPUS];
  uint32_t cpus = x86_smp_cpus(slots, apic_ids, X86_MAX_CPUS);
  const char *bsp_only = NULL;
  if (cpus == 0) { /* the BSP's backend failed: its vm_start will fail and say why */
    slots[0] = 0;
    apic_ids[0] = 0;
    cpus = 1;
  } else if (cpus > 1 && !x86_tick_on_aps()) {
    bsp_only = "no_tick_on_aps"; /* the PIT fallback: a guest on an AP could keep its CPU */
    cpus = 1;
  }
  uint32_t units = vcpu_count(vms, n);
  log_begin("cpu_plan");
  log_u64("vms", n);
  log_u64("cpus", cpus);
  log_str("policy", units > cpus ? "shared" : "dedicated");
  if (bsp_only != NULL)
    log_str("reason", bsp_only);
  log_u64("vcpus", units);
  log_end();
  for (uint32_t k = 0; k < cpus; k++)
    per_cpu[slots[k]].apic_id = apic_ids[k];
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t v = 0; v < vms[i].vm.vcpus; v++, k++) {
      vms[i].slot[v].cpu = slots[k % cpus];
      log_begin("vm_cpu");
      log_str("vm", vms[i].vm.name);
      log_u64("cpu", vms[i].slot[v].cpu);
      log_u64("apic_id", apic_ids[k % cpus]);
      /* How many vCPUs this CPU runs (1: a CPU of its own). */
      log_u64("vms_on_cpu", units / cpus + (k % cpus < units % cpus ? 1 : 0));
      log_u64("vcpu", v);
      log_end();
    }
  return cpus;
}

static void start_vm(struct launched_vm *l)
{
  size_t free_before = x86_pages_free_count();
  int err = vm_start(&l->vm, &l->regs); /* on its own CPU: a VMCS holds that CPU's host state */
  l->d0_bytes += (uint64_t)(free_before - x86_pages_free_count()) * X86_PAGE;
  if (err != HV_OK)
    vm_stop(&l->vm, VM_FAILED, err, "vm-start-failed");
}

/* vCPU v of l runs a slice if it can (else *wake: runnable). */
static void run_vcpu(struct cpu_run *c, struct launched_vm *l, uint32_t v, bool *ran,
                     uint64_t *wake)
{
  struct vcpu_slot *s = &l->slot[v];
  uint64_t now = arch_time_ns();
  if (!runnable(l, v, now, wake))
    return;
  *ran = true;
  if (s->ready_since_ns != 0)
    s->wait_ns += now - s->ready_since_ns;
  bool starting = l->vm.cpu[v].state == VCPU_STARTING;
  size_t free_before = x86_pages_free_count();
  uint32_t me = x86_cpu_index();
  per_cpu[me].running = l->vm.vcpus > 1 ? l : NULL; /* guest_leave: its other vCPUs' kicks */
  vm_run_until(&l->vm, v, RUN_BATCH, now + SLICE_NS);
  per_cpu[me].running = NULL;
  per_cpu[me].last_ran_ns = arch_time_ns();
  if (starting) /* an AP's pages (VMCB/VMCS), allocated as its SIPI started it */
    l->d0_bytes += (uint64_t)(free_before - x86_pages_free_count()) * X86_PAGE;
  kick_others(c->vms, c->n);
  s->ready_since_ns = 0;
  if (l->vm.cpu[v].halted)
    s->halted_ns = arch_time_ns();
  else if (l->vm.state == VM_RUNNING && vm_vcpu_started(&l->vm, v))
    s->ready_since_ns = arch_time_ns();
}

/* One round over this CPU's vCPUs (d0_lock held): each runnable one runs a slice; the CPU of a
 * VM's vCPU 0 reports its health and its stop. *ran: one ran; *wake: the earliest time a waiting
 * one needs a look (IDLE_NO_DEADLINE: none); returns whether a VM with a vCPU here is still
 * running. */
static bool run_round(struct cpu_run *c, bool *ran, uint64_t *wake)
{
  *wake = IDLE_NO_DEADLINE;
  bool running = false;
  for (uint32_t i = 0; i < c->n; i++) {
    struct launched_vm *l = &c->vms[i];
    for (uint32_t v = 0; v < l->vm.vcpus; v++) {
      if (l->slot[v].cpu != c->slot)
        continue;
      run_vcpu(c, l, v, ran, wake);
      if (l->vm.state == VM_RUNNING)
        running = true;
      if (v != 0)
        continue;
      report_health(l, arch_time_ns());
      if (l->vm.state != VM_RUNNING && !l->stop_logged)
        report_stopped(l);
    }
  }
  return running;
}

/* Whether this CPU halts until its next interrupt now that nothing ran (hv/idle.h: no vCPU
 * waits less than a tick, none ran just now, the uplink is quiet); if so it is marked idle, so
 * kicks reach it (d0_lock held). last_net_ns: 0 but on the CPU that polls the uplink. */
static bool idle_begin(uint64_t wake, uint64_t last_net_ns)
{
  uint32_t me = x86_cpu_index();
  struct idle_view v = {
      .now_ns = arch_time_ns(),
      .last_ran_ns = per_cpu[me].last_ran_ns,
      .next_wake_ns = wake,
      .last_net_ns = last_net_ns,
      .tick_ns = 1000000000ull / X86_TICK_HZ,
  };
  if (!idle_may_halt(&v))
    return false;
  per_cpu[me].idle = true;
  per_cpu[me].kicked = false;
  return true;
}

/* Lock dropped, after idle_begin: halt until the next interrupt (the tick, a kick; one that
 * came since idle_begin ends it at once: STI's shadow covers HLT) or, when it may not, PAUSE.
 * Returns the time halted. */
static uint64_t idle_wait(bool halt)
{
  if (!halt) {
    x86_pause();
    return 0;
  }
  uint64_t t0 = arch_time_ns();
  x86_wait_for_interrupt();
  return arch_time_ns() - t0;
}

/* Lock held again after idle_wait. */
static void idle_end(bool halted, uint64_t halted_ns)
{
  if (!halted)
    return;
  uint32_t me = x86_cpu_index();
  per_cpu[me].idle = false;
  per_cpu[me].idle_ns += halted_ns;
  per_cpu[me].halts++;
}

/* Nothing ran this round: let the other CPUs have the lock, then halt or poll again. */
static void idle_poll(uint64_t wake)
{
  bool halt = idle_begin(wake, 0);
  drop_d0_lock();
  uint64_t halted_ns = idle_wait(halt);
  take_d0_lock();
  idle_end(halt, halted_ns);
}

/* ev=cpu_stats: what one CPU did, once its VMs have all stopped (an AP, before it parks) or at
 * the end (the BSP, before ev=halt). */
static void report_cpu(const struct cpu_run *c)
{
  uint64_t vms = 0, exits = 0, guest_ns = 0, wait_ns = 0;
  for (uint32_t i = 0; i < c->n; i++) {
    const struct launched_vm *l = &c->vms[i];
    for (uint32_t v = 0; v < l->vm.vcpus; v++) {
      if (l->slot[v].cpu != c->slot)
        continue;
      vms++;
      exits += l->vm.cpu[v].exits;
      guest_ns += l->vm.cpu[v].run_ns;
      wait_ns += l->slot[v].wait_ns;
    }
  }
  log_begin("cpu_stats");
  log_u64("cpu", c->slot);
  log_u64("vms", vms); /* vCPUs, each VM's counted once per vCPU it has here */
  log_u64("exits", exits);
  log_u64("guest_ms", guest_ns / 1000000ull);
  log_u64("vm_wait_ms", wait_ns / 1000000ull);
  log_u64("lock_wait_ms", per_cpu[c->slot].lock_wait_ns / 1000000ull);
  log_u64("kicks_sent", per_cpu[c->slot].kicks_sent);
  log_u64("idle_ms", per_cpu[c->slot].idle_ns / 1000000ull);
  log_u64("halts", per_cpu[c->slot].halts);
  log_end();
}

static void start_mine(struct cpu_run *c)
{
  for (uint32_t i = 0; i < c->n; i++)
    if (c->vms[i].slot[0].cpu == c->slot)
      start_vm(&c->vms[i]);
}

/* An AP's whole life from x86_smp_give: its vCPUs, until every VM of theirs has stopped. */
static void ap_run(void *arg)
{
  struct cpu_run *c = arg;
  take_d0_lock();
  start_mine(c);
  for (;;) {
    bool ran = false;
    uint64_t wake;
    if (!run_round(c, &ran, &wake))
      break;
    if (!ran)
      idle_poll(wake);
  }
  report_cpu(c);
  drop_d0_lock(); /* then parks (smp.c) */
}

static bool all_stopped(const struct launched_vm *vms, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++)
    if (!vms[i].stop_logged)
      return false;
  return true;
}

void run_vms(struct launched_vm *vms, uint32_t n)
{
  uint32_t slots[X86_MAX_CPUS];
  uint32_t cpus = place_vms(vms, n, slots);
  /* With VMs on more than one CPU, lines are queued from here and the BSP writes them all to
   * COM1 between its rounds, so no CPU waits on the UART while it holds d0_lock. With one CPU
   * nobody waits for it: every line goes out in log_end, as before. */
  uint32_t units = vcpu_count(vms, n);
  bool defer_log = cpus > 1 && units > 1;
  if (defer_log)
    log_defer_sink(1);
  vm_set_guest_hooks(guest_leave, guest_back);
  take_d0_lock(); /* before any AP starts: the BSP's VMs start first */
  for (uint32_t k = 0; k < cpus; k++)
    runs[k] = (struct cpu_run){slots[k], vms, n};
  for (uint32_t k = 1; k < cpus && k < units; k++)
    x86_smp_give(slots[k], ap_run, &runs[k]);
  x86_smp_park_idle(); /* the APs given nothing (all of them when cpus is 1) */
  start_mine(&runs[0]);
  bool decided = false;
  uint64_t net_logged_ns = arch_time_ns();
  watchdog_arm();
#ifdef D0_SELFTEST_HANG
  /* Test builds only (test/ab/watchdog.test.ts; release builds never define it): D0 hangs with
   * interrupts off right after arming, as a D0 stuck in a loop would. Only the watchdog ends it. */
  log_begin("selftest_hang");
  log_end();
  log_defer_sink(0); /* out now: nothing drains once D0 hangs */
  x86_cli();
  for (;;)
    x86_pause();
#endif
  uint64_t net_frames = 0, last_net_ns = 0;
  for (;;) {
    bool ran = false;
    uint64_t wake;
    watchdog_pet();
    run_round(&runs[0], &ran, &wake);
    net_tick(arch_time_ns()); /* throttled VMs resume, NAT entries expire */
    uplink_tick(arch_time_ns()); /* D0's own address: a bounded budget per round */
    kick_others(vms, n); /* frames from the uplink for VMs running elsewhere */
    report_net_changes(vms, n, arch_time_ns(), &net_logged_ns);
    if (!decided)
      decide(vms, n, arch_time_ns(), &decided);
    if (all_stopped(vms, n))
      break;
    /* The uplink is polled (no interrupt wakes a halt): a frame it moved keeps this CPU awake
     * a while (hv/idle.h). */
    if (uplink_frames() != net_frames) {
      net_frames = uplink_frames();
      last_net_ns = arch_time_ns();
    }
    /* Every VM here halted and none has an interrupt yet: halt or poll again. */
    bool halt = !ran && idle_begin(wake, last_net_ns);
    drop_d0_lock();
    if (defer_log)
      log_drain(LOG_SINK_QUEUE_BYTES);
    uint64_t halted_ns = ran ? 0 : idle_wait(halt);
    take_d0_lock();
    idle_end(halt, halted_ns);
  }
  log_defer_sink(0); /* the rest of the queue, then every line directly again */
  report_cpu(&runs[0]);
  uplink_report();
  net_report();
  watchdog_disarm(); /* every VM stopped: the halt below is an end, not a hang */
  /* The collector learns how the boot ended, even when its VMs stopped before the uplink came
   * up: the uplink is brought up and the queue sent before the halt is logged (the end of the
   * boot for whoever watches the console), and the halt's own line after it. */
  uplink_flush_reports(UPLINK_FLUSH_MAX_NS);
  log_begin("halt");
  log_u64("vms", n);
  log_u64("host_ticks", x86_host_ticks());
  log_u64("stray_irqs", x86_host_stray_irqs());
  log_u64("kicks", x86_host_kicks());
  log_u64("log_dropped", log_sink_dropped());
  log_end();
  uplink_flush_reports(UPLINK_FLUSH_MAX_NS);
  x86_halt_forever();
}
