/*
 * The PC's CMOS real-time clock (Motorola MC146818A compatible) at ports 0x70 (index, bit 7 =
 * NMI disable) and 0x71 (data).
 *
 * The time comes from the host: D0 passes the UEFI wall-clock time it read (EFI_TIME fields) and
 * the monotonic time of that reading; the registers then show that time plus the monotonic time
 * elapsed (arch_time_ns), so no host work is needed to keep it ticking.
 *
 * Registers (MC146818A data sheet, "Address map"; century at 0x32 as on PC/AT):
 *   0x00 s, 0x02 min, 0x04 h, 0x06 weekday (1 = Sunday), 0x07 day, 0x08 month, 0x09 year % 100,
 *   0x32 century: BCD or binary per B.DM, hours 24 h or 12 h (bit 7 = PM) per B.24/12.
 *   0x0A status A: UIP always clear (an update is instantaneous here, so Linux's read never
 *        waits), divider and rate bits stored.
 *   0x0B status B: SET/PIE/AIE/UIE/SQWE/DSE stored, DM and 24/12 honoured; reset 0x02 (24 h, BCD).
 *   0x0C status C: 0 (no interrupt sources are modelled: IRQ 8 is never raised).
 *   0x0D status D: 0x80 (VRT: the time is valid).
 *   0x01/0x03/0x05 (alarms) and 0x0E..0x7F: battery-backed RAM, read/write, initially zero.
 * Guest writes to the time registers are ignored and logged: the guest cannot move D0's clock.
 */
#ifndef DEV_PLATFORM_RTC_H
#define DEV_PLATFORM_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "hv/bus.h"

#define RTC_PORT 0x70
#define RTC_PORTS 2
#define RTC_NMI_DISABLE 0x80u
#define RTC_INDEX_MASK 0x7fu
#define RTC_REGS 128

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80u
#define RTC_A_RESET 0x26u /* 32.768 kHz time base, 1024 Hz rate */
#define RTC_B_SET 0x80u
#define RTC_B_DM_BINARY 0x04u
#define RTC_B_24H 0x02u
#define RTC_D_VRT 0x80u
#define RTC_HOUR_PM 0x80u

/* The host's wall-clock time (UTC), as UEFI GetTime reports it. */
struct rtc_wall {
  uint16_t year;   /* 1970..2199 */
  uint8_t month;   /* 1..12 */
  uint8_t day;     /* 1..days in that month */
  uint8_t hour, minute, second; /* 0..23, 0..59, 0..59 */
};

struct rtc {
  uint64_t base_s;   /* seconds since 1970-01-01 at base_ns */
  uint64_t base_ns;  /* monotonic time of the host reading */
  uint8_t index;
  bool nmi_disabled;
  uint8_t ram[RTC_REGS];
  struct dev_log log;
};

/* HV_E_INVAL (and the RTC untouched) when a field of `wall` is out of range. */
int rtc_init(struct rtc *r, const struct dev_env *env, const struct rtc_wall *wall,
             uint64_t now_ns);

/* Seconds since 1970-01-01 00:00:00 UTC of a valid date, and back. */
uint64_t rtc_to_epoch(const struct rtc_wall *w);
void rtc_from_epoch(uint64_t s, struct rtc_wall *w, uint8_t *weekday /* 0 = Sunday */);
bool rtc_wall_valid(const struct rtc_wall *w);

/* Register `reg` (0..127) as the guest reads it at now_ns. */
uint8_t rtc_reg(const struct rtc *r, uint8_t reg, uint64_t now_ns);

extern const struct bus_ops rtc_ops;

#endif /* DEV_PLATFORM_RTC_H */
