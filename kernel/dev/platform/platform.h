/*
 * The PC platform devices of one micro-VM, and the interrupt path between them and the CPU.
 *
 * Interrupt delivery: the vCPU's local APIC (vlapic.h) and an I/O APIC (vioapic.h), with the
 * cascaded 8259A pair beside it on the same ISA lines (IRQ n on I/O APIC pin n, IRQ 0 on pin 2)
 * and on the local APIC's LINT0 as ExtINT. No ACPI MADT: D0 writes an MP table listing both
 * (hv/mptable.h), so Linux 6.1 x86-64 selects "symmetric I/O" mode, masks the 8259A and LINT0,
 * routes IRQs 0-15 through the I/O APIC (edge-triggered) and ticks with the APIC timer,
 * calibrated against the TSC (tsc_early_khz) or the PIT. A guest that keeps to the 8259A (the
 * I/O APIC's entries start masked, LINT0 starts as ExtINT) works as before.
 *
 * vCPUs: one local APIC per vCPU (initial APIC ID = index; 0 is the BSP, the only one LINT0's
 * ExtINT reaches). The APICs share the page at 0xFEE00000: an access goes to the APIC of the
 * vCPU whose exit is being handled (platform_set_current). IPIs are routed here: fixed and
 * lowest-priority ones into the destination APICs' IRR; INIT and SIPI to the owner of the vCPUs
 * (platform_config.cpu_signal: the VM, which starts the AP in real mode at the SIPI's page);
 * INIT level de-assert is accepted and does nothing (as on every APIC since the Pentium 4);
 * NMI, SMI and the rest are refused and logged.
 *
 *   IRQ 0  PIT channel 0        IRQ 4  UART (COM1)       IRQ 5, 6  virtio-blk, virtio-net
 *   IRQ 2  cascade (not a line) IRQ 8  RTC (never raised)
 *
 * The backend's side, before every guest entry:
 *   deadline = platform_poll_vcpu(p, vcpu, now);   timers raise their lines; arm a host timer
 *   v = platform_pending_vector(p, vcpu);           -1: nothing to deliver
 *   if v >= 0 and the guest can take it (RFLAGS.IF, no interrupt shadow, no pending event):
 *       inject v (SVM EVENTINJ / VMX VM-entry interruption info), then platform_ack(p, vcpu, v)
 *   else if v >= 0: request an interrupt-window exit (SVM V_IRQ + VINTR intercept, VMX
 *       interrupt-window exiting) and repeat this sequence at that exit.
 * Injecting and acknowledging together keeps the PIC's ISR exactly in step with what the guest
 * received. After a HLT exit the VM waits until a vector is pending or the deadline passes.
 */
#ifndef DEV_PLATFORM_PLATFORM_H
#define DEV_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/vioapic.h"
#include "dev/platform/vlapic.h"
#include "dev/platform/pic.h"
#include "dev/platform/pit.h"
#include "dev/platform/rtc.h"
#include "dev/platform/sysports.h"
#include "dev/platform/uart.h"
#include "hv/bus.h"
#include "hv/dev_env.h"

/* Words D0 adds to the guest kernel command line for this platform. no_timer_check: Linux would
 * otherwise prove IRQ 0 through the I/O APIC by spinning 4e10 / HZ TSC cycles (150 ms at HZ=100
 * and 2.6 GHz) in check_timer; this platform's route is fixed (QEMU's microvm passes it too). */
#define PLATFORM_CMDLINE "no_timer_check"

#define PLATFORM_IRQ_PIT 0
#define PLATFORM_IOAPIC_PIN_PIT 2 /* ISA IRQ 0's I/O APIC pin (the MP table's override) */
#define PLATFORM_IRQ_UART UART_COM1_IRQ
#define PLATFORM_VCPUS_MAX 16u /* the manifest's bound (proto/SEMANTICS.md "vCPUs") */

enum platform_signal { PLATFORM_SIGNAL_INIT, PLATFORM_SIGNAL_SIPI };
/* An INIT (vector unused) or a SIPI with its vector reached vCPU `vcpu` (never the sender). */
typedef void (*platform_signal_fn)(void *ctx, uint32_t vcpu, enum platform_signal s,
                                   uint8_t vector);

struct platform_config {
  const struct rtc_wall *wall; /* the host's UTC time (UEFI GetTime) */
  uint64_t wall_ns;            /* arch_time_ns() when it was read */
  uart_sink_fn console;        /* complete console lines of this VM */
  void *console_ctx;
  void (*reset)(void *ctx);    /* the guest asked for a CPU reset (port 0x92 / 0x64) */
  void *reset_ctx;
  uint32_t vcpus;              /* 1..PLATFORM_VCPUS_MAX (0 counts as 1) */
  platform_signal_fn cpu_signal; /* NULL: INIT/SIPI are refused and logged */
  void *signal_ctx;
};

struct platform {
  const struct dev_env *env;
  struct pic pic;
  struct pit pit;
  struct rtc rtc;
  struct uart uart;
  struct sysports sys;
  struct vlapic lapic[PLATFORM_VCPUS_MAX]; /* [0..vcpus) */
  struct vioapic ioapic;
  uint32_t vcpus, current;
  platform_signal_fn cpu_signal;
  void *signal_ctx;
  struct dev_log ipi_log;
  /* External lines (platform_irq_set_level) raised so far: each low-to-high change of one at
   * the PIC's input. D0 compares it across CPUs: a device run on one CPU that raised a line of
   * a VM whose guest runs on another (boot/efi/run_vms.c, "kick"). */
  uint64_t raised;
};

/*
 * Initializes every device and registers its ports on `pio` (9 ranges) and the local APICs' and
 * I/O APIC's pages on `mmio`. HV_E_INVAL for a bad wall-clock time or vCPU count (nothing
 * registered); a bus error (HV_E_BUSY/HV_E_FULL) otherwise.
 */
int platform_attach(struct platform *p, struct bus *pio, struct bus *mmio,
                    const struct dev_env *env, const struct platform_config *cfg);

/*
 * Level of ISA interrupt line `gsi` (0..15, not 2) from a device outside the platform (virtio).
 * The backend's arch_irq_set_level forwards here.
 */
void platform_irq_set_level(struct platform *p, uint32_t gsi, bool level);

/* The vCPU whose exit is handled now: its APIC answers at 0xFEE00000 and IA32_APIC_BASE. */
void platform_set_current(struct platform *p, uint32_t vcpu);
struct vlapic *platform_current_lapic(struct platform *p);

/* The vector to inject into vCPU `vcpu` now, or -1. */
int platform_pending_vector(const struct platform *p, uint32_t vcpu);

/* Runs the timers vCPU `vcpu` takes up to now_ns: the PIT (whichever vCPU its line reaches) and
 * that vCPU's APIC timer only; returns the next time they need a poll (UINT64_MAX: none). Each
 * vCPU's own CPU polls its timer before each of its entries and while it is halted, so another
 * CPU never makes a sibling's timer interrupt pending (and kicks its CPU) ahead of the sibling's
 * own next exit. */
uint64_t platform_poll_vcpu(struct platform *p, uint32_t vcpu, uint64_t now_ns);

/* vCPU `vcpu` received `vector`; false (nothing changed) if it was not the pending one. */
bool platform_ack(struct platform *p, uint32_t vcpu, uint8_t vector);

/* A count that grows whenever an interrupt becomes pending for vCPU `vcpu` (its APIC accepted a
 * vector; for the BSP also an ISA line rose at the 8259A): D0 compares it to kick the CPU that
 * runs the vCPU. */
uint64_t platform_wakeups(const struct platform *p, uint32_t vcpu);

#endif /* DEV_PLATFORM_PLATFORM_H */
