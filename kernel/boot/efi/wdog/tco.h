/*
 * The Intel ICH9 TCO watchdog (Intel I/O Controller Hub 9 Family datasheet, 316972: the LPC
 * configuration registers PMBASE, ACPI_CNTL and RCBA, the TCO I/O registers, the chipset
 * configuration register GCS), as QEMU's q35 machine emulates it (hw/acpi/tco.c,
 * hw/isa/lpc_ich9.c) and OVMF sets it up.
 *
 * Where things are: the LPC bridge is PCI 00:1f.0 (8086:2918). PMBASE (config 0x40, bits 15:7)
 * is the ACPI I/O block, decoded only while ACPI_CNTL.ACPI_EN (config 0x44 bit 7) is set; the TCO
 * registers are at PMBASE + 0x60. RCBA (config 0xF0, bits 31:14, bit 0 = enable) is the chipset
 * configuration block in memory space; its GCS register (RCBA + 0x3410) holds NO_REBOOT (bit 5).
 * OVMF enables ACPI_EN and RCBA (at 0xFED1C000) on q35.
 *
 * How it fires: TCO_TMR (bits 9:0) holds the period in 0.6 s ticks (0 and 1 are ignored). While
 * TCO1_CNT.TCO_TMR_HLT is clear the counter runs from TCO_TMR down; any write to TCO_RLD reloads
 * it. The first expiry sets TCO1_STS.TIMEOUT (and may raise an SMI); the second sets
 * TCO2_STS.SECOND_TO_STS and resets the platform unless NO_REBOOT is set (in GCS, or the speaker
 * pin strap: QEMU's ICH9-LPC.noreboot property, true by default in QEMU 7.2, so a QEMU run that
 * wants the reset says -global ICH9-LPC.noreboot=false). So the reset comes 2 x TCO_TMR ticks
 * after the last reload. SECOND_TO_STS survives the reset (RTC well; QEMU keeps every TCO register
 * across a system reset), which is how the next boot learns that the watchdog reset it.
 *
 * Status bits are write-one-to-clear on the chip; QEMU stores the written value masked so that
 * writing them as one clears them too. Writing one to exactly the bits to clear works on both.
 *
 * Pure code over an accessor (struct tco_io): kernel/tests/test_tco.c drives it against a model of
 * the chip; wdog/tco_port.c is the real one (0xCF8/0xCFC, port I/O, MMIO).
 */
#ifndef D0_BOOT_EFI_WDOG_TCO_H
#define D0_BOOT_EFI_WDOG_TCO_H

#include <stdbool.h>
#include <stdint.h>

#define TCO_LPC_VENDOR 0x8086u
#define TCO_LPC_DEVICE_ICH9 0x2918u /* ICH9 LPC (what q35 has) */

/* LPC (00:1f.0) configuration registers. */
#define TCO_CFG_ID 0x00
#define TCO_CFG_PMBASE 0x40
#define TCO_CFG_ACPI_CNTL 0x44
#define TCO_CFG_RCBA 0xF0
#define TCO_PMBASE_MASK 0xFF80u
#define TCO_ACPI_EN 0x80u
#define TCO_RCBA_EN 0x1u
#define TCO_RCBA_MASK 0xFFFFC000u

/* Chipset configuration block (RCBA). */
#define TCO_RCBA_GCS 0x3410u
#define TCO_GCS_NO_REBOOT (1u << 5)

/* TCO I/O registers, offsets from PMBASE + TCO_PM_OFFSET; all 16-bit accesses. */
#define TCO_PM_OFFSET 0x60
#define TCO_RLD 0x00
#define TCO1_STS 0x04
#define TCO2_STS 0x06
#define TCO1_CNT 0x08
#define TCO_TMR 0x12
#define TCO1_STS_TIMEOUT (1u << 3)
#define TCO2_STS_SECOND_TO (1u << 1)
#define TCO2_STS_BOOT (1u << 2)
#define TCO1_CNT_TMR_HLT (1u << 11)
#define TCO1_CNT_LOCK (1u << 12) /* once set, TCO_TMR_HLT and TCO_TMR no longer change */
#define TCO_TMR_MASK 0x3FFu

#define TCO_TICK_MS 600u
#define TCO_TICKS_MIN 2u
#define TCO_TICKS_MAX 0x3FFu

/* Register access: PCI configuration space of 00:1f.0, port I/O, 32-bit MMIO. */
struct tco_io {
  uint32_t (*cfg_read32)(void *ctx, uint8_t reg);
  uint16_t (*io_read16)(void *ctx, uint16_t port);
  void (*io_write16)(void *ctx, uint16_t port, uint16_t v);
  uint32_t (*mmio_read32)(void *ctx, uint64_t addr);
  void (*mmio_write32)(void *ctx, uint64_t addr, uint32_t v);
  void *ctx;
};

/* Why tco_probe found no usable watchdog (TCO_OK: found). */
enum tco_absent {
  TCO_OK = 0,
  TCO_NO_ICH9,     /* 00:1f.0 is not an ICH9 LPC bridge (another chipset, or i440FX) */
  TCO_NO_PMBASE,   /* PMBASE is zero or its I/O decode (ACPI_EN) is off */
  TCO_NO_RCBA,     /* RCBA is off: NO_REBOOT cannot be cleared, so an expiry could not reset */
  TCO_NO_REBOOT,   /* GCS.NO_REBOOT stays set after the write (locked) */
  TCO_LOCKED,      /* TCO1_CNT.TCO_LOCK: the timer can no longer be set or halted */
};

struct tco {
  struct tco_io io;
  uint16_t base; /* PMBASE + TCO_PM_OFFSET */
  uint64_t rcba;
  bool fired;    /* TCO2_STS.SECOND_TO_STS was set: the last reset was the watchdog's */
};

/* Short names for the log (state=absent reason=<name>). */
const char *tco_absent_name(enum tco_absent why);

/*
 * Finds the TCO, notes and clears a second-timeout status left by the last reset (t->fired),
 * halts the timer (nothing arms it before D0 does) and clears GCS.NO_REBOOT so an expiry resets.
 * Writes nothing to a chip that is not an ICH9 LPC bridge. RCBA is memory: call it while that is
 * mapped (before ExitBootServices, under the firmware's identity map).
 */
enum tco_absent tco_probe(struct tco *t, const struct tco_io *io);

/* Ticks of TCO_TMR for a reset period_ms after the last reload: two expiries make one period,
 * rounded down to whole ticks, within [TCO_TICKS_MIN, TCO_TICKS_MAX]. */
uint16_t tco_ticks_for_period(uint32_t period_ms);
/* The reset period those ticks give, in ms (2 x ticks x 0.6 s). */
uint32_t tco_period_ms(uint16_t ticks);

/* Clears the status bits, sets TCO_TMR, starts the timer and reloads it. Port I/O only. */
void tco_arm(const struct tco *t, uint16_t ticks);
/* Reloads the timer (any write to TCO_RLD). */
void tco_pet(const struct tco *t);
/* Halts the timer (TCO_TMR_HLT). */
void tco_stop(const struct tco *t);

#endif
