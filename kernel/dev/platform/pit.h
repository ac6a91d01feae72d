/*
 * Intel 8254 programmable interval timer at ports 0x40-0x43, plus the timer bits of the PC's
 * system control port B (0x61: bit 0 gate of channel 2, bit 1 speaker data, bit 5 channel 2
 * output), which Linux uses to calibrate the TSC.
 *
 * Register model (Intel 8254 data sheet): control word (SC, RW, M, BCD), read-back command,
 * counter latch, LSB / MSB / LSB-then-MSB access with independent read and write toggles, modes 0
 * to 5 (6 and 7 alias 2 and 3). BCD counting is logged and counted in binary. The counter is not
 * stepped: its value is computed from the monotonic clock (arch_time_ns) at 1193182 Hz, so it is
 * exact at any read without any periodic host work.
 *
 * Channel 0 drives IRQ 0. Time only moves the counters; interrupts are produced by pit_poll(),
 * which the platform calls before each guest entry and which returns the next deadline, so the
 * backend can arm a host timer for it. Several periods elapsed between two polls give one edge
 * (the PIC latches one request anyway; Linux's clocksource accounts for lost ticks).
 */
#ifndef DEV_PLATFORM_PIT_H
#define DEV_PLATFORM_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "hv/bus.h"

#define PIT_PORT 0x40
#define PIT_PORTS 4
#define PIT_HZ 1193182ull
#define PIT_NO_DEADLINE UINT64_MAX

/* Control word (port 0x43). */
#define PIT_CW_SC_SHIFT 6
#define PIT_CW_RW_SHIFT 4
#define PIT_CW_RW_MASK 0x30u
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_MODE_MASK 0x0eu
#define PIT_CW_BCD 0x01u
#define PIT_RW_LATCH 0
#define PIT_RW_LSB 1
#define PIT_RW_MSB 2
#define PIT_RW_WORD 3
/* Read-back command: SC = 3. Bits 5/4 are active-low "don't latch count/status". */
#define PIT_RB_NO_COUNT 0x20u
#define PIT_RB_NO_STATUS 0x10u
/* Status byte of a read-back. */
#define PIT_ST_OUT 0x80u
#define PIT_ST_NULL 0x40u

/* Port 0x61 bits that belong to the timer. */
#define PORT61_GATE2 0x01u
#define PORT61_SPEAKER 0x02u
#define PORT61_OUT2 0x20u

struct pit_channel {
  uint8_t mode, rw, bcd;
  uint32_t reload;       /* 1..65536 (a written 0 means 65536) */
  bool loaded;           /* a complete count was written since the control word */
  bool counting;         /* counting from start_ns (gate allows, count loaded, trigger seen) */
  uint64_t start_ns;
  uint32_t frozen;       /* count held while the gate is low (modes 0 and 4) */
  uint8_t write_lsb;     /* RW_WORD: the LSB written, waiting for the MSB */
  bool write_high;       /* next write byte is the MSB */
  bool read_high;        /* next read byte is the MSB (RW_WORD) */
  bool latched;
  uint16_t latch;
  bool latch_high;       /* the latched LSB was read */
  bool status_latched;
  uint8_t status;
  bool gate;
  uint64_t next_irq_ns;  /* channel 0: when OUT next rises; PIT_NO_DEADLINE */
};

struct pit {
  struct pit_channel ch[3];
  uint8_t port61;        /* the stored bits of port 0x61 (gate 2, speaker) */
  void (*irq0)(void *ctx); /* called for each rising edge of channel 0's output */
  void *irq_ctx;
  struct dev_log log;
};

void pit_init(struct pit *p, const struct dev_env *env, void (*irq0)(void *), void *irq_ctx);

/* Raises IRQ 0 if channel 0's output rose at or before now; returns the next such time. */
uint64_t pit_poll(struct pit *p, uint64_t now_ns);

/* The current count of channel `c` at now_ns (what a latch would capture). */
uint16_t pit_count(const struct pit *p, uint32_t c, uint64_t now_ns);
bool pit_out(const struct pit *p, uint32_t c, uint64_t now_ns);

/* Port 0x61's timer bits, for the system-ports device that owns the port. */
uint8_t pit_port61_read(struct pit *p, uint64_t now_ns);
void pit_port61_write(struct pit *p, uint8_t v, uint64_t now_ns);

/* Bus ops for ports 0x40-0x43; ctx is the struct pit. */
extern const struct bus_ops pit_ops;

/* ns -> whole PIT ticks, and the first ns at which `ticks` have elapsed. No overflow for any
 * uint64_t ns (centuries of run time). */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t ticks);

#endif /* DEV_PLATFORM_PIT_H */
