/*
 * The guest's local APIC: an xAPIC (Intel SDM vol. 3A ch. 11) behind its MMIO page at
 * 0xFEE00000, for the VM's one vCPU. Linux uses it as its clock event device (the APIC timer,
 * one-shot between ticks) and for the IPIs it sends itself (irq_work); the 8259A pair stays the
 * interrupt controller of the ISA lines, wired to LINT0 as ExtINT ("virtual wire", what firmware
 * leaves on a PC: Linux finds no MP table or MADT and keeps that mode, "virtual wire no-config").
 *
 * What is modelled: ID, version (integrated, 6 LVT entries), TPR/PPR, EOI, LDR/DFR, SVR (software
 * enable), ISR/TMR/IRR, ESR, ICR (fixed interrupts to itself: shorthand self or all, or its own
 * physical/logical destination), the LVTs (timer, thermal, performance, LINT0, LINT1, error), and
 * the timer (one-shot and periodic; TSC-deadline is not offered: CPUID.1:ECX[24] stays clear),
 * counting at VLAPIC_BUS_HZ divided by TDCR. One per vCPU, its initial APIC ID the vCPU's index;
 * IPIs to other vCPUs (fixed, lowest priority, INIT, SIPI) leave through the IPI hook (the
 * platform routes them: platform.h). IA32_APIC_BASE reads 0xFEE00900 (BSP, enabled; an AP's
 * without the BSP bit);
 * clearing its enable bit turns the APIC off (the PIC then reaches the CPU directly), setting it
 * again resets the APIC (SDM 11.4.3); another base address or x2APIC mode is refused (logged,
 * ignored): CPUID shows no x2APIC.
 *
 * Refused (logged a few times, counted, nothing changes): an access that is not a 4-byte access
 * to the start of a 16-byte register, a write to a read-only register, without an IPI hook an IPI
 * to another CPU or with a delivery mode other than fixed, an access while the APIC is off (reads
 * see all ones).
 */
#ifndef DEV_PLATFORM_VLAPIC_H
#define DEV_PLATFORM_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "hv/bus.h"
#include "hv/dev_env.h"

#define VLAPIC_MMIO_BASE 0xfee00000ull
#define VLAPIC_MMIO_SIZE 0x1000ull
#define VLAPIC_MSR_APIC_BASE 0x1bu
#define VLAPIC_BUS_HZ 1000000000ull /* the timer's input before TDCR: one count per ns */
#define VLAPIC_NO_DEADLINE UINT64_MAX

/* Register offsets (SDM table 11-1). */
#define VLAPIC_ID 0x20
#define VLAPIC_VERSION 0x30
#define VLAPIC_TPR 0x80
#define VLAPIC_APR 0x90
#define VLAPIC_PPR 0xa0
#define VLAPIC_EOI 0xb0
#define VLAPIC_RRD 0xc0
#define VLAPIC_LDR 0xd0
#define VLAPIC_DFR 0xe0
#define VLAPIC_SVR 0xf0
#define VLAPIC_ISR 0x100
#define VLAPIC_TMR 0x180
#define VLAPIC_IRR 0x200
#define VLAPIC_ESR 0x280
#define VLAPIC_ICR_LO 0x300
#define VLAPIC_ICR_HI 0x310
#define VLAPIC_LVT_TIMER 0x320
#define VLAPIC_LVT_LINT0 0x350
#define VLAPIC_LVT_ERROR 0x370
#define VLAPIC_TMICT 0x380
#define VLAPIC_TMCCT 0x390
#define VLAPIC_TDCR 0x3e0

#define VLAPIC_VERSION_VALUE 0x00050014u /* integrated APIC, max LVT entry 5 */
#define VLAPIC_LVT_COUNT 6               /* timer, thermal, perf, LINT0, LINT1, error */
#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_SVR_ENABLE (1u << 8)
#define VLAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REG (1u << 7)

/* ICR delivery modes (bits 10:8). */
#define VLAPIC_IPI_FIXED 0u
#define VLAPIC_IPI_LOWEST 1u
#define VLAPIC_IPI_NMI 4u
#define VLAPIC_IPI_INIT 5u
#define VLAPIC_IPI_SIPI 6u
#define VLAPIC_ICR_LEVEL_ASSERT (1u << 14)
#define VLAPIC_ICR_TRIGGER_LEVEL (1u << 15)

struct vlapic;
/* An IPI leaves APIC `from`: ICR low word `icr_lo`, 8-bit destination `dest`. */
typedef void (*vlapic_ipi_fn)(void *ctx, struct vlapic *from, uint32_t icr_lo, uint32_t dest);

struct vlapic {
  struct dev_log log;
  uint32_t initial_id;          /* the vCPU's index: ID after reset; 0 is the BSP */
  bool on;                      /* IA32_APIC_BASE.EN */
  uint32_t id, tpr, ldr, dfr, svr;
  uint32_t esr, esr_pending;    /* ESR as read, and errors since its last write */
  uint32_t icr_lo, icr_hi;
  uint32_t lvt[VLAPIC_LVT_COUNT];
  uint32_t irr[8], isr[8], tmr[8];
  uint32_t tmict, tdcr;
  uint64_t timer_deadline_ns;   /* when it reaches 0, VLAPIC_NO_DEADLINE if not counting */
  uint64_t timer_fired;         /* expiries, a masked timer's included */
  uint64_t accepted;            /* vectors set in IRR so far (kept across resets): D0 compares
                                   it to kick the CPU running this vCPU (boot/efi/run_vms.c) */
  void (*eoi_level)(void *ctx, uint8_t vector); /* the EOI of a level-triggered vector */
  void *eoi_ctx;
  vlapic_ipi_fn ipi;            /* NULL: only IPIs to itself (see above) */
  void *ipi_ctx;
};

extern const struct bus_ops vlapic_ops;

/* Power-on state of the APIC with initial ID `id` (0..255; 0 is the BSP's): on,
 * software-disabled, LVTs masked, timer stopped; the BSP's LINT0 ExtINT (the firmware's
 * virtual wire). No hooks. */
void vlapic_init(struct vlapic *l, const struct dev_env *env, uint32_t id);

/* An INIT: back to the power-on state (ID, hooks and `accepted` kept). */
void vlapic_reset(struct vlapic *l);

/* Who routes the IPIs this APIC sends; kept across resets. */
void vlapic_set_ipi_hook(struct vlapic *l, vlapic_ipi_fn fn, void *ctx);

/* Whether an IPI `from` sends (ICR low word lo, 8-bit destination dest) reaches `to`: its
 * shorthand (self, all, all but self), else the destination (vlapic_is_destination). */
bool vlapic_ipi_reaches(const struct vlapic *from, const struct vlapic *to, uint32_t lo,
                        uint32_t dest);

/* IA32_APIC_BASE. A write it refuses changes nothing (logged). */
uint64_t vlapic_base_read(const struct vlapic *l);
void vlapic_base_write(struct vlapic *l, uint64_t value);

/* Runs the timer up to now_ns (an expiry sets its vector in IRR unless masked); returns when
 * it next needs a poll (VLAPIC_NO_DEADLINE). */
uint64_t vlapic_poll(struct vlapic *l, uint64_t now_ns);

/* The highest IRR vector above the processor priority, or -1 (APIC off or nothing). */
int vlapic_pending(const struct vlapic *l);

/* The highest vector requested (IRR) or in service (ISR), whatever the priority; -1 when none.
 * For logs (hv/vcpu_look.h). */
int vlapic_highest_irr(const struct vlapic *l);
int vlapic_highest_isr(const struct vlapic *l);

/* The CPU took `vector` (the one vlapic_pending returned): IRR -> ISR. */
void vlapic_ack(struct vlapic *l, uint8_t vector);

/* A fixed interrupt from the I/O APIC or another APIC's IPI: into IRR (and TMR when
 * level-triggered: its EOI then calls the EOI hook). Dropped like any other while the APIC is off or software-disabled; a
 * vector below 16 is a receive error. */
void vlapic_deliver(struct vlapic *l, uint8_t vector, bool level);

/* Who hears the EOI of a level-triggered vector (the I/O APIC); kept across resets. */
void vlapic_set_eoi_hook(struct vlapic *l, void (*fn)(void *ctx, uint8_t vector), void *ctx);

/* Whether an interrupt for 8-bit destination `dest` reaches this APIC: physical mode, its ID or
 * broadcast (0xff); logical mode, its LDR in the flat or cluster model (DFR). */
bool vlapic_is_destination(const struct vlapic *l, uint32_t dest, bool logical);

/* Whether the 8259A's INTR reaches the CPU: the APIC is off, or LINT0 is ExtINT and unmasked. */
bool vlapic_accepts_extint(const struct vlapic *l);

#endif /* DEV_PLATFORM_VLAPIC_H */
