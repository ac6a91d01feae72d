#include "dev/platform/rtc.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "hv/err.h"

#define DAYS_PER_400Y 146097u
/* Days from 0000-03-01 (proleptic Gregorian, years starting in March) to 1970-01-01. */
#define DAYS_0000_03_01_TO_EPOCH 719468u
#define STORED_B (RTC_B_SET | 0x70u | 0x08u | RTC_B_DM_BINARY | RTC_B_24H | 0x01u)

static bool leap(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static uint8_t days_in_month(uint32_t y, uint32_t m)
{
  static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (uint8_t)(m == 2 && leap(y) ? 29 : dim[m - 1]);
}

bool rtc_wall_valid(const struct rtc_wall *w)
{
  return w->year >= 1970 && w->year <= 2199 && w->month >= 1 && w->month <= 12 && w->day >= 1 &&
         w->day <= days_in_month(w->year, w->month) && w->hour < 24 && w->minute < 60 &&
         w->second < 60;
}

/* Counting years from March puts the leap day last, so a month's first day is a linear
 * function of its index: (153 * mp + 2) / 5 with mp = 0 for March. */
uint64_t rtc_to_epoch(const struct rtc_wall *w)
{
  uint32_t y = w->year - (w->month <= 2 ? 1u : 0u);
  uint32_t mp = w->month > 2 ? w->month - 3u : w->month + 9u;
  uint32_t era = y / 400, yoe = y % 400;
  uint32_t doy = (153u * mp + 2u) / 5u + w->day - 1u;
  uint32_t doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
  uint64_t days = (uint64_t)era * DAYS_PER_400Y + doe - DAYS_0000_03_01_TO_EPOCH;
  return days * 86400u + w->hour * 3600u + w->minute * 60u + w->second;
}

void rtc_from_epoch(uint64_t s, struct rtc_wall *w, uint8_t *weekday)
{
  uint64_t days = s / 86400u, sod = s % 86400u;
  uint64_t z = days + DAYS_0000_03_01_TO_EPOCH;
  uint64_t era = z / DAYS_PER_400Y, doe = z % DAYS_PER_400Y;
  uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
  uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
  uint64_t mp = (5u * doy + 2u) / 153u;
  uint32_t month = (uint32_t)(mp < 10 ? mp + 3 : mp - 9);
  w->year = (uint16_t)(era * 400u + yoe + (month <= 2 ? 1u : 0u));
  w->month = (uint8_t)month;
  w->day = (uint8_t)(doy - (153u * mp + 2u) / 5u + 1u);
  w->hour = (uint8_t)(sod / 3600u);
  w->minute = (uint8_t)(sod / 60u % 60u);
  w->second = (uint8_t)(sod % 60u);
  if (weekday != NULL)
    *weekday = (uint8_t)((days + 4u) % 7u); /* 1970-01-01 was a Thursday */
}

int rtc_init(struct rtc *r, const struct dev_env *env, const struct rtc_wall *wall,
             uint64_t now_ns)
{
  if (wall == NULL || !rtc_wall_valid(wall))
    return HV_E_INVAL;
  memset(r, 0, sizeof(*r));
  r->base_s = rtc_to_epoch(wall);
  r->base_ns = now_ns;
  r->ram[RTC_REG_A] = RTC_A_RESET;
  r->ram[RTC_REG_B] = RTC_B_24H;
  r->log = (struct dev_log){env, "rtc", 0};
  return HV_OK;
}

static uint8_t encode(const struct rtc *r, uint32_t v)
{
  return (r->ram[RTC_REG_B] & RTC_B_DM_BINARY) ? (uint8_t)v : (uint8_t)((v / 10u) << 4 | v % 10u);
}

uint8_t rtc_reg(const struct rtc *r, uint8_t reg, uint64_t now_ns)
{
  reg &= RTC_INDEX_MASK;
  uint64_t elapsed = now_ns > r->base_ns ? (now_ns - r->base_ns) / 1000000000ull : 0;
  struct rtc_wall w;
  uint8_t wday;
  switch (reg) {
  case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
  case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
    rtc_from_epoch(r->base_s + elapsed, &w, &wday);
    break;
  case RTC_REG_A: return r->ram[RTC_REG_A] & (uint8_t)~RTC_A_UIP;
  case RTC_REG_C: return 0;
  case RTC_REG_D: return RTC_D_VRT;
  default: return r->ram[reg];
  }
  switch (reg) {
  case RTC_SECONDS: return encode(r, w.second);
  case RTC_MINUTES: return encode(r, w.minute);
  case RTC_HOURS:
    if (r->ram[RTC_REG_B] & RTC_B_24H)
      return encode(r, w.hour);
    return (uint8_t)(encode(r, w.hour % 12u == 0 ? 12u : w.hour % 12u) |
                     (w.hour >= 12 ? RTC_HOUR_PM : 0));
  case RTC_WEEKDAY: return encode(r, wday + 1u);
  case RTC_DAY: return encode(r, w.day);
  case RTC_MONTH: return encode(r, w.month);
  case RTC_YEAR: return encode(r, w.year % 100u);
  default: return encode(r, w.year / 100u); /* RTC_CENTURY */
  }
}

static void reg_write(struct rtc *r, uint8_t reg, uint8_t v)
{
  switch (reg) {
  case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_WEEKDAY:
  case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
    dev_log_event(&r->log, "time-write-ignored", reg, v);
    break;
  case RTC_REG_A: r->ram[RTC_REG_A] = v & (uint8_t)~RTC_A_UIP; break;
  case RTC_REG_B: r->ram[RTC_REG_B] = v & STORED_B; break;
  case RTC_REG_C: case RTC_REG_D:
    dev_log_event(&r->log, "read-only-register", reg, v);
    break;
  default: r->ram[reg] = v; break;
  }
}

static uint8_t rtc_rd(void *ctx, uint64_t off)
{
  struct rtc *r = ctx;
  if (off == 0) /* the index port is write-only on the chip; show what was written */
    return (uint8_t)(r->index | (r->nmi_disabled ? RTC_NMI_DISABLE : 0));
  return rtc_reg(r, r->index, arch_time_ns());
}

static void rtc_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct rtc *r = ctx;
  if (off == 0) {
    r->index = v & RTC_INDEX_MASK;
    r->nmi_disabled = v & RTC_NMI_DISABLE;
  } else {
    reg_write(r, r->index, v);
  }
}

static uint64_t rtc_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, rtc_rd);
}

static void rtc_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, rtc_wr);
}

const struct bus_ops rtc_ops = {rtc_read, rtc_write};
