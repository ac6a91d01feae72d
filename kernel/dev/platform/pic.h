/*
 * A cascaded pair of Intel 8259A programmable interrupt controllers, as on every PC:
 * master at ports 0x20/0x21 (IRQ 0-7), slave at 0xa0/0xa1 (IRQ 8-15) wired to master input 2.
 *
 * Modelled (Intel 8259A data sheet, "Programming the 8259A"): the initialization sequence
 * ICW1..ICW4 (edge or level trigger, single or cascade, vector base, auto-EOI), OCW1 (IMR),
 * OCW2 (non-specific / specific EOI, rotation, set priority), OCW3 (read IRR or ISR, poll, special
 * mask mode), fixed and rotating priority, IRR/ISR/IMR. Not modelled: 8080 mode (ICW4 uPM = 0 is
 * logged and treated as x86 mode), buffered mode, special fully nested mode (accepted, ignored).
 *
 * Inputs follow the device's line level: edge mode latches IRR on a rising edge (the line must
 * fall before it can request again), level mode follows the line. The CPU side is pic_pending()
 * (what INTR would present) and pic_ack() (the INTA cycle for a vector the CPU took).
 */
#ifndef DEV_PLATFORM_PIC_H
#define DEV_PLATFORM_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "hv/bus.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0
#define PIC_PORTS 2
#define PIC_CASCADE_IRQ 2
#define PIC_IRQS 16

/* ICW1 (written to the even port with bit 4 set). */
#define PIC_ICW1_INIT 0x10u
#define PIC_ICW1_IC4 0x01u  /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02u /* single PIC: no ICW3 */
#define PIC_ICW1_LTIM 0x08u /* level-triggered inputs */
/* ICW4 */
#define PIC_ICW4_UPM 0x01u  /* 8086/x86 mode */
#define PIC_ICW4_AEOI 0x02u
/* OCW2: bits 7..5 are R, SL, EOI; bits 2..0 the level. */
#define PIC_OCW2_EOI 0x20u
#define PIC_OCW2_SL 0x40u
#define PIC_OCW2_R 0x80u
/* OCW3: bit 3 set, bit 4 clear. */
#define PIC_OCW3_SEL 0x08u
#define PIC_OCW3_RIS 0x01u /* with RR: read ISR instead of IRR */
#define PIC_OCW3_RR 0x02u
#define PIC_OCW3_P 0x04u   /* poll */
#define PIC_OCW3_SMM 0x20u /* with ESMM: set/clear special mask */
#define PIC_OCW3_ESMM 0x40u

struct pic_chip {
  uint8_t irr, isr, imr;
  uint8_t line;          /* current input levels */
  uint8_t vector_base;   /* ICW2 & 0xf8 */
  uint8_t priority_low;  /* IR with the lowest priority (7 after init; rotation moves it) */
  uint8_t init_step;     /* 0 = operational; 2, 3, 4 = the ICW expected next */
  bool icw4_needed, single, level_mode, auto_eoi, rotate_on_aeoi, read_isr, poll, special_mask;
  uint8_t icw3;
};

struct pic {
  struct pic_chip chip[2]; /* [0] master, [1] slave */
  struct dev_log log;
  uint64_t spurious;       /* INTA with nothing to deliver */
  uint64_t stale_acks;     /* pic_ack for a vector no longer requested */
};

void pic_init(struct pic *p, const struct dev_env *env);

/* The input level of line `irq` (0..15) as the last pic_set_irq left it; false out of range. */
bool pic_line_level(const struct pic *p, uint32_t irq);

/* Line `irq` (0..15) of an ISA device is now at `level`. Out-of-range lines are logged. */
void pic_set_irq(struct pic *p, uint32_t irq, bool level);

/* The vector INTR would present now (highest priority unmasked request above every in-service
 * level), or -1 when INTR is low. */
int pic_pending(const struct pic *p);

/*
 * The CPU took `vector` (the value pic_pending returned): the INTA cycle moves that request from
 * IRR to ISR (unless auto-EOI). A vector that no longer matches a request (the guest masked or
 * reprogrammed in between) changes nothing and is counted in stale_acks. true if accepted.
 */
bool pic_ack(struct pic *p, uint8_t vector);

/* Bus ops for one chip: ctx is the struct pic, base PIC_MASTER_PORT or PIC_SLAVE_PORT. */
extern const struct bus_ops pic_master_ops, pic_slave_ops;

#endif /* DEV_PLATFORM_PIC_H */
