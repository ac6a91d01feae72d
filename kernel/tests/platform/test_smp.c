/*
 * A VM with two vCPUs behind the real core (hv/vm.h "vCPUs", dev/platform/platform.h "vCPUs"):
 * the AP waits for INIT and SIPI sent through the BSP's APIC page, starts in real mode at the
 * SIPI's page, has its own APIC (ID 1, no BSP bit) behind the same page and its own CPUID
 * APIC ID; IPIs and I/O APIC interrupts reach the APICs they name, the 8259A only the BSP.
 * Each exit is one scripted exit on the vCPU that takes it (guest_exit_on).
 */
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/platform.h"
#include "guest_drv.h"
#include "hv/err.h"
#include "hv/vcpu_look.h"
#include "check.h"

#define MIB (1024ull * 1024ull)
#define T0 (100ull * 1000000000ull)
#define APIC VLAPIC_MMIO_BASE
#define IOAPIC VIOAPIC_MMIO_BASE

static const struct rtc_wall wall = {2025, 6, 9, 13, 5, 58};
static struct vm vm;
static uint8_t *ram;

static void quiet_console(void *ctx, const char *line, size_t len) { (void)ctx, (void)line, (void)len; }

static void new_smp_vm(uint32_t vcpus)
{
  if (ram == NULL) {
    ram = aligned_alloc(2 * MIB, 4 * MIB);
    memset(ram, 0, 4 * MIB);
  }
  struct vm_config cfg = {"smp", 30, VM_HEALTH_READY, &wall, T0, quiet_console, NULL, vcpus};
  fake_time_set(T0);
  fake_events_clear();
  CHECK_EQ(vm_init(&vm, &cfg, ram, 4 * MIB), HV_OK);
  CHECK_EQ(vm_start(&vm, NULL), HV_OK);
}

static uint32_t apic_r(uint32_t vcpu, uint32_t reg)
{
  struct arch_exit e = {.reason = ARCH_EXIT_MMIO, .gpa = gpa_init(APIC + reg), .size = 4,
                        .dir = ARCH_DIR_READ};
  return (uint32_t)guest_exit_on(&vm, vcpu, &e);
}

static void apic_w(uint32_t vcpu, uint32_t reg, uint32_t v)
{
  struct arch_exit e = {.reason = ARCH_EXIT_MMIO, .gpa = gpa_init(APIC + reg), .size = 4,
                        .dir = ARCH_DIR_WRITE, .value = v};
  guest_exit_on(&vm, vcpu, &e);
}

static void ipi(uint32_t vcpu, uint32_t dest, uint32_t lo)
{
  apic_w(vcpu, VLAPIC_ICR_HI, dest << 24);
  apic_w(vcpu, VLAPIC_ICR_LO, lo);
}

static uint64_t rdmsr_on(uint32_t vcpu, uint32_t msr)
{
  struct arch_exit e = {.reason = ARCH_EXIT_MSR, .msr = msr, .dir = ARCH_DIR_READ};
  return guest_exit_on(&vm, vcpu, &e);
}

static void ioapic_w(uint32_t reg, uint32_t v)
{
  mmio_w(&vm, IOAPIC + VIOAPIC_IOREGSEL, reg);
  mmio_w(&vm, IOAPIC + VIOAPIC_IOWIN, v);
}

/* The AP's backend state is created by its first run after the SIPI (nothing scripted yet: it
 * halts at once). */
static void first_run(uint32_t vcpu) { CHECK_EQ(vm_run_until(&vm, vcpu, 1, UINT64_MAX), HV_OK); }

/* The BSP's APIC enabled, then INIT and SIPI to vCPU 1, which runs once and enables its own. */
static void bring_up_ap(void)
{
  apic_w(0, VLAPIC_SVR, 0x1ff);
  ipi(0, 1, 0xc500);
  ipi(0, 1, 0x4600 | 0x9a);
  first_run(1);
  apic_w(1, VLAPIC_SVR, 0x1ff);
}

static void test_config_bounds(void)
{
  struct vm_config cfg = {"smp", 30, VM_HEALTH_READY, &wall, T0, quiet_console, NULL,
                          VM_VCPUS_MAX + 1};
  CHECK_EQ(vm_init(&vm, &cfg, ram != NULL ? ram : (ram = aligned_alloc(2 * MIB, 4 * MIB)),
                   4 * MIB),
           HV_E_INVAL);
  new_smp_vm(VM_VCPUS_MAX);
  CHECK_EQ(vm.vcpus, VM_VCPUS_MAX);
  CHECK_EQ(vm.platform.vcpus, VM_VCPUS_MAX);
  CHECK_EQ(vm.platform.ioapic.n_lapics, VM_VCPUS_MAX);
  vm_destroy(&vm);
}

/* INIT, INIT de-assert, SIPI, SIPI: what Linux's wakeup_secondary_cpu_via_init sends. */
static void test_ap_start(void)
{
  new_smp_vm(2);
  CHECK(vm_vcpu_started(&vm, 0));
  CHECK(!vm_vcpu_started(&vm, 1));
  /* Waiting for INIT: nothing runs, nothing is created. */
  CHECK_EQ(vm_run_until(&vm, 1, 10, UINT64_MAX), HV_OK);
  CHECK(!vm.cpu[1].created);
  CHECK_EQ(vm.cpu[1].exits, 0);
  CHECK_EQ(vm_run_until(&vm, 2, 10, UINT64_MAX), HV_E_INVAL); /* no such vCPU */
  /* A SIPI before the INIT is ignored, as by a real CPU. */
  apic_w(0, VLAPIC_SVR, 0x1ff);
  ipi(0, 1, 0x4600 | 0x9a);
  CHECK_EQ(vm.cpu[1].state, VCPU_WAIT_INIT);
  ipi(0, 1, 0xc500); /* INIT, level assert */
  CHECK_EQ(vm.cpu[1].state, VCPU_WAIT_SIPI);
  ipi(0, 1, 0x8500); /* INIT level de-assert: nothing */
  CHECK_EQ(vm.cpu[1].state, VCPU_WAIT_SIPI);
  ipi(0, 1, 0x4600 | 0x9a);
  CHECK_EQ(vm.cpu[1].state, VCPU_STARTING);
  CHECK(vm_vcpu_started(&vm, 1));
  ipi(0, 1, 0x4600 | 0x55); /* the second SIPI: already starting, ignored */
  CHECK_EQ(vm.cpu[1].sipi_vector, 0x9a);
  /* Created on its first run: real mode at 0x9a00:0000. */
  first_run(1);
  CHECK(vm.cpu[1].created);
  CHECK_EQ(rdmsr_on(1, VLAPIC_MSR_APIC_BASE), 0xfee00800ull); /* enabled, not the BSP */
  CHECK_EQ(vm.cpu[1].state, VCPU_RUNNING);
  CHECK_EQ(vm.cpu[1].arch.index, 1);
  CHECK_EQ(vm.cpu[1].arch.entry_cs_selector, 0x9a00);
  CHECK_EQ(vm.cpu[1].arch.entry_cs_base, 0x9a000);
  CHECK_EQ(vm.cpu[1].arch.entry_rip, 0);
  CHECK_EQ(vm.cpu[1].arch.entry_cr0, CR0_ET); /* protection and paging off */
  const struct fake_event *e = fake_event_find("ap-started");
  CHECK(e != NULL && e->a == 1 && e->b == 0x9a000);
  CHECK_EQ(rdmsr_on(0, VLAPIC_MSR_APIC_BASE), 0xfee00900ull);
  /* Each vCPU's own APIC behind the one page. */
  CHECK_EQ(apic_r(0, VLAPIC_ID), 0);
  CHECK_EQ(apic_r(1, VLAPIC_ID), 1u << 24);
  CHECK_EQ(apic_r(0, VLAPIC_SVR), 0x1ff);
  CHECK_EQ(apic_r(1, VLAPIC_SVR), 0xff); /* its own, still software-disabled */
  /* CPUID: each vCPU its own initial APIC ID, a package of its own (no HTT). */
  struct arch_exit cpuid = {.reason = ARCH_EXIT_CPUID, .value = 1};
  guest_exit_on(&vm, 1, &cpuid);
  CHECK_EQ(vm.cpu[1].arch.rbx >> 24, 1);
  CHECK_EQ((vm.cpu[1].arch.rbx >> 16) & 0xff, 1);
  CHECK_EQ(vm.cpu[1].arch.rdx & (1u << 28), 0);
  guest_exit_on(&vm, 0, &cpuid);
  CHECK_EQ(vm.cpu[0].arch.rbx >> 24, 0);
  /* An INIT to a running AP stops it until the next SIPI, which re-creates it. */
  ipi(0, 1, 0xc500);
  CHECK_EQ(vm.cpu[1].state, VCPU_WAIT_SIPI);
  CHECK(!vm_vcpu_started(&vm, 1));
  ipi(0, 1, 0x4600 | 0x10);
  first_run(1);
  CHECK_EQ(vm.cpu[1].arch.entry_cs_base, 0x10000);
  CHECK_EQ(vm.state, VM_RUNNING);
  vm_destroy(&vm);
}

/* Fixed IPIs land in the APIC they name and nowhere else; signals to oneself and NMIs are
 * refused; the count D0 kicks by grows for the receiver. */
static void test_ipis_between_vcpus(void)
{
  new_smp_vm(2);
  struct platform *p = &vm.platform;
  bring_up_ap();
  uint64_t w0 = platform_wakeups(p, 0), w1 = platform_wakeups(p, 1);
  /* Physical destination 1: vCPU 1 only. The vector is delivered at vCPU 1's next entry. */
  p->lapic[0].tpr = p->lapic[1].tpr = 0;
  ipi(0, 1, 0xfb);
  CHECK_EQ(platform_pending_vector(p, 1), 0xfb);
  CHECK_EQ(platform_pending_vector(p, 0), -1);
  CHECK_EQ(platform_wakeups(p, 1), w1 + 1);
  CHECK_EQ(platform_wakeups(p, 0), w0);
  uint32_t injected = vm.cpu[1].arch.injected_count;
  apic_r(1, VLAPIC_VERSION);
  CHECK_EQ(vm.cpu[1].arch.injected_count, injected + 1);
  CHECK_EQ(vm.cpu[1].arch.injected[injected], 0xfb);
  apic_w(1, VLAPIC_EOI, 0);
  /* All excluding self, from vCPU 1: vCPU 0 only. */
  ipi(1, 0, 0xc0000 | 0xfc);
  CHECK_EQ(platform_pending_vector(p, 0), 0xfc);
  CHECK_EQ(platform_pending_vector(p, 1), -1);
  /* Logical flat: both LDR bits name both. */
  apic_w(0, VLAPIC_LDR, 0x01000000);
  apic_w(1, VLAPIC_LDR, 0x02000000);
  ipi(0, 0x03, 0x800 | 0xfd);
  CHECK_EQ(platform_pending_vector(p, 1), 0xfd);
  CHECK(p->lapic[0].irr[0xfd / 32] & (1u << (0xfd % 32)));
  /* Lowest priority to both: one of them only. */
  uint64_t a0 = p->lapic[0].accepted, a1 = p->lapic[1].accepted;
  ipi(0, 0x03, 0x800 | 0x100 | 0xe1);
  CHECK_EQ(p->lapic[0].accepted - a0 + p->lapic[1].accepted - a1, 1);
  /* INIT or SIPI to oneself, NMI: refused and logged, nothing changes. */
  fake_events_clear();
  ipi(1, 1, 0xc500);
  CHECK_EQ(vm.cpu[1].state, VCPU_RUNNING);
  CHECK(fake_event_find("ipi-signal-refused") != NULL);
  ipi(0, 1, 0x400);
  CHECK(fake_event_find("ipi-mode-unsupported") != NULL);
  /* Nobody at physical ID 7. */
  ipi(0, 7, 0xe2);
  CHECK(fake_event_find("ipi-no-destination") != NULL);
  CHECK_EQ(vm.state, VM_RUNNING);
  vm_destroy(&vm);
}

/* The I/O APIC delivers where its entry says; the 8259A's ExtINT only ever reaches the BSP. */
static void test_interrupts_to_vcpus(void)
{
  new_smp_vm(2);
  struct platform *p = &vm.platform;
  bring_up_ap();
  /* IRQ 5 (virtio-blk's line) to physical APIC 1, edge. */
  ioapic_w(VIOAPIC_REG_REDIR + 2 * 5 + 1, 1u << 24);
  ioapic_w(VIOAPIC_REG_REDIR + 2 * 5, 0x25);
  platform_irq_set_level(p, 5, true);
  CHECK_EQ(platform_pending_vector(p, 1), 0x25);
  CHECK_EQ(platform_pending_vector(p, 0), -1);
  platform_irq_set_level(p, 5, false);
  /* Fixed, logical, both: each gets it. */
  apic_w(0, VLAPIC_LDR, 0x01000000);
  apic_w(1, VLAPIC_LDR, 0x02000000);
  ioapic_w(VIOAPIC_REG_REDIR + 2 * 6 + 1, 0x03u << 24);
  ioapic_w(VIOAPIC_REG_REDIR + 2 * 6, 0x800 | 0x26);
  platform_irq_set_level(p, 6, true);
  CHECK(p->lapic[0].irr[0x26 / 32] & (1u << (0x26 % 32)));
  CHECK(p->lapic[1].irr[0x26 / 32] & (1u << (0x26 % 32)));
  /* The 8259A: even with the AP's LINT0 set to ExtINT, only the BSP takes its vector. */
  mmio_w(&vm, APIC + VLAPIC_TPR, 0xf0); /* the BSP's APIC holds everything back... */
  apic_w(1, VLAPIC_TPR, 0xf0);
  apic_w(1, VLAPIC_LVT_LINT0, 0x700);
  guest_pio(&vm, 0x20, 1, true, 0x11); /* ICW1..4: vectors at 0x30, unmasked */
  guest_pio(&vm, 0x21, 1, true, 0x30);
  guest_pio(&vm, 0x21, 1, true, 0x04);
  guest_pio(&vm, 0x21, 1, true, 0x01);
  guest_pio(&vm, 0x21, 1, true, 0x00);
  platform_irq_set_level(p, 4, true);
  CHECK_EQ(platform_pending_vector(p, 0), 0x34); /* ...but ExtINT bypasses its priority */
  CHECK_EQ(platform_pending_vector(p, 1), -1);
  CHECK(!platform_ack(p, 1, 0x34));
  CHECK(platform_ack(p, 0, 0x34));
  CHECK_EQ(vm.state, VM_RUNNING);
  vm_destroy(&vm);
}

/* ev=vcpu_state's look (hv/vcpu_look.h): an AP never started, then a vCPU whose timer counts,
 * fires and whose vector is in service without an EOI (what a guest stuck waiting for its next
 * tick shows), with its last exit's reason, RIP and IF. */
static void test_vcpu_look(void)
{
  new_smp_vm(2);
  struct vcpu_look k;
  vm_vcpu_look(&vm, 1, T0, &k);
  CHECK_STR(k.state, "wait-init");
  CHECK_STR(k.last_exit, "none");
  CHECK_EQ(k.exits, 0);
  CHECK(k.has_lapic);
  CHECK(!k.lapic_on); /* software-disabled until the guest sets SVR */
  CHECK_EQ(k.isr, -1);
  CHECK_EQ(k.irr, -1);
  CHECK_EQ(k.timer_in_ms, VCPU_LOOK_NO_TIMER);
  bring_up_ap();
  apic_w(0, VLAPIC_LVT_TIMER, 0xec); /* one-shot, vector 0xec */
  apic_w(0, VLAPIC_TDCR, 0xb);       /* divide by 1: 1 ns per count */
  apic_w(0, VLAPIC_TMICT, 5000000);  /* 5 ms */
  struct arch_exit hlt = {.reason = ARCH_EXIT_HLT, .rflags = 0x202};
  guest_exit_on(&vm, 0, &hlt);
  vm_vcpu_look(&vm, 0, T0, &k);
  CHECK_STR(k.state, "running");
  CHECK(k.halted);
  CHECK_STR(k.last_exit, "hlt");
  CHECK_EQ(k.rip, vm.cpu[0].arch.rip);
  CHECK_EQ(k.rflags, 0x202);
  CHECK(k.lapic_on);
  CHECK_EQ(k.lvt_timer, 0xec);
  CHECK_EQ(k.timer_in_ms, 5);
  CHECK_EQ(k.timer_fired, 0);
  vm_vcpu_look(&vm, 0, T0 + 7000000, &k);
  CHECK_EQ(k.timer_in_ms, 0); /* due, not polled yet */
  fake_time_advance(7000000);
  CHECK_EQ(platform_pending_vector(&vm.platform, 0), -1); /* nothing before the poll */
  platform_poll_vcpu(&vm.platform, 0, T0 + 7000000);
  vm_vcpu_look(&vm, 0, T0 + 7000000, &k);
  CHECK_EQ(k.irr, 0xec);
  CHECK_EQ(k.timer_fired, 1);
  CHECK_EQ(k.timer_in_ms, VCPU_LOOK_NO_TIMER); /* one-shot: stopped */
  CHECK(platform_ack(&vm.platform, 0, 0xec));
  vm_vcpu_look(&vm, 0, T0 + 7000000, &k);
  CHECK_EQ(k.isr, 0xec); /* in service until the guest's EOI */
  CHECK_EQ(k.irr, -1);
  CHECK_EQ(k.accepted, vm.platform.lapic[0].accepted);
  /* The AP's own look: started, its own APIC. */
  vm_vcpu_look(&vm, 1, T0 + 7000000, &k);
  CHECK_STR(k.state, "running");
  CHECK_EQ(k.isr, -1);
  CHECK(k.lapic_on);
  vm_destroy(&vm);
}

void test_smp_all(void)
{
  RUN(test_config_bounds);
  RUN(test_ap_start);
  RUN(test_ipis_between_vcpus);
  RUN(test_interrupts_to_vcpus);
  RUN(test_vcpu_look);
}
