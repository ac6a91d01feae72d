/*
 * The VM's I/O APIC (82093AA register model, version 0x20: with the EOI register), behind its
 * MMIO page at 0xFEC00000: 24 input pins, each routed by its redirection entry to the local APICs
 * of the VM's vCPUs (vlapic.h) it names. The ISA lines reach it and the 8259A pair alike, as on
 * a PC: ISA IRQ n on pin n, but IRQ 0 (the PIT) on pin 2 (the MP table's interrupt entries say so: hv/mptable.h). Linux
 * finds it in the MP table, masks the 8259A and LINT0's ExtINT, and takes every ISA line here;
 * entries start masked, so a guest that keeps to the 8259A never sees both.
 *
 * Registers: IOREGSEL (0x00) selects, IOWIN (0x10) reads/writes the selected one: ID (0), version
 * (1: 0x00170020, 24 pins), arbitration (2), redirection entry n at 0x10 + 2n (low) / + 1 (high);
 * EOI (0x40) ends a level-triggered vector. An entry: vector, delivery mode (fixed or lowest
 * priority; the others are refused and logged at delivery), destination mode and destination,
 * polarity, trigger mode, mask; delivery status and remote IRR are read-only. Edge entries deliver
 * on a rising edge of the (polarity-corrected) line while unmasked; level entries deliver while
 * the line is asserted and remote IRR is clear, set it, and deliver again after the EOI (the local
 * APIC's EOI of a vector it accepted as level-triggered, or this EOI register) if the line is
 * still asserted. Any other access (not 4 bytes at 0x00/0x10/0x40, an unknown register) is
 * logged, reads 0, and changes nothing.
 */
#ifndef DEV_PLATFORM_VIOAPIC_H
#define DEV_PLATFORM_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "dev/platform/vlapic.h"
#include "hv/bus.h"
#include "hv/dev_env.h"

#define VIOAPIC_MMIO_BASE 0xfec00000ull
#define VIOAPIC_MMIO_SIZE 0x1000ull
#define VIOAPIC_PINS 24u
#define VIOAPIC_ID 0u               /* its ID register and the MP table's entry */
#define VIOAPIC_VERSION 0x00170020u /* max redirection entry 23, version 0x20 */
#define VIOAPIC_IOREGSEL 0x00
#define VIOAPIC_IOWIN 0x10
#define VIOAPIC_EOI 0x40
#define VIOAPIC_REG_REDIR 0x10u

/* Redirection entry bits. */
#define VIOAPIC_RTE_MASKED (1ull << 16)
#define VIOAPIC_RTE_LEVEL (1ull << 15)
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define VIOAPIC_RTE_ACTIVE_LOW (1ull << 13)

struct vioapic {
  struct dev_log log;
  struct vlapic *lapics; /* the destinations: one per vCPU, [0] the BSP's */
  uint32_t n_lapics;
  uint32_t id, sel;
  uint64_t rte[VIOAPIC_PINS];
  uint32_t lines;       /* pin input levels as driven (before polarity) */
  uint64_t delivered;   /* interrupts handed to a local APIC */
};

extern const struct bus_ops vioapic_ops;

/* Reset state: every entry masked, lines low; delivers to lapics[0..n_lapics), whose EOIs of
 * level-triggered vectors come back here. */
void vioapic_init(struct vioapic *io, const struct dev_env *env, struct vlapic *lapics,
                  uint32_t n_lapics);

/* The level of input pin `pin` (< VIOAPIC_PINS; others are ignored). */
void vioapic_set_irq(struct vioapic *io, uint32_t pin, bool level);

/* End of interrupt for `vector` (the local APIC's EOI of a level-triggered vector). */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif /* DEV_PLATFORM_VIOAPIC_H */
