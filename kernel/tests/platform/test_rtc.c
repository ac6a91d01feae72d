/* The CMOS RTC: date arithmetic, BCD/binary and 12/24 h encodings, status registers as Linux's
 * mc146818 reader needs them, time passing, NVRAM, and refused or ignored input. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/rtc.h"
#include "hv/err.h"
#include "check.h"

#define S 1000000000ull
#define T0 (777ull * S)

static struct rtc rtc;

static void out(uint16_t port, uint8_t v) { rtc_ops.write(&rtc, port - RTC_PORT, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)rtc_ops.read(&rtc, port - RTC_PORT, 1); }
static uint8_t cmos(uint8_t reg)
{
  out(0x70, reg);
  return in(0x71);
}

static void test_epoch_conversion(void)
{
  struct rtc_wall w = {1970, 1, 1, 0, 0, 0}, back;
  uint8_t wday;
  CHECK_EQ(rtc_to_epoch(&w), 0);
  w = (struct rtc_wall){2000, 3, 1, 0, 0, 0};
  CHECK_EQ(rtc_to_epoch(&w), 951868800ull);
  w = (struct rtc_wall){2024, 2, 29, 12, 34, 56};
  CHECK_EQ(rtc_to_epoch(&w), 1709210096ull);
  w = (struct rtc_wall){2038, 1, 19, 3, 14, 8};
  CHECK_EQ(rtc_to_epoch(&w), 2147483648ull);
  w = (struct rtc_wall){2199, 12, 31, 23, 59, 59};
  CHECK_EQ(rtc_to_epoch(&w), 7258118399ull);
  rtc_from_epoch(1709210096ull, &back, &wday);
  CHECK_EQ(back.year, 2024);
  CHECK_EQ(back.month, 2);
  CHECK_EQ(back.day, 29);
  CHECK_EQ(back.hour, 12);
  CHECK_EQ(back.minute, 34);
  CHECK_EQ(back.second, 56);
  CHECK_EQ(wday, 4); /* a Thursday */
  /* Round trip over every day from 1970 to 2199 (leap years and centuries included). */
  uint32_t mismatches = 0, prev_day = 0;
  for (uint64_t d = 0; d < 84000; d++) {
    uint64_t s = d * 86400 + 3661;
    rtc_from_epoch(s, &back, &wday);
    if (!rtc_wall_valid(&back) || rtc_to_epoch(&back) != s || wday != (d + 4) % 7 ||
        (back.day != prev_day + 1 && back.day != 1))
      mismatches++;
    prev_day = back.day;
  }
  CHECK_EQ(mismatches, 0);
  /* 1900 is not a leap year, 2000 is, 2100 is not. */
  CHECK(!rtc_wall_valid(&(struct rtc_wall){2100, 2, 29, 0, 0, 0}));
  CHECK(rtc_wall_valid(&(struct rtc_wall){2000, 2, 29, 0, 0, 0}));
}

static void test_registers_linux_reads(void)
{
  fake_time_set(T0);
  struct rtc_wall w = {2025, 6, 9, 13, 5, 58};
  CHECK_EQ(rtc_init(&rtc, NULL, &w, T0), HV_OK);
  /* mc146818_get_time: D.VRT set and bit 6 clear, A.UIP clear, then the fields in BCD. */
  CHECK_EQ(cmos(RTC_REG_D), RTC_D_VRT);
  CHECK_EQ(cmos(RTC_REG_A) & RTC_A_UIP, 0);
  CHECK_EQ(cmos(RTC_REG_A), RTC_A_RESET);
  CHECK_EQ(cmos(RTC_REG_B), RTC_B_24H);
  CHECK_EQ(cmos(RTC_SECONDS), 0x58);
  CHECK_EQ(cmos(RTC_MINUTES), 0x05);
  CHECK_EQ(cmos(RTC_HOURS), 0x13);
  CHECK_EQ(cmos(RTC_DAY), 0x09);
  CHECK_EQ(cmos(RTC_MONTH), 0x06);
  CHECK_EQ(cmos(RTC_YEAR), 0x25);
  CHECK_EQ(cmos(RTC_CENTURY), 0x20);
  CHECK_EQ(cmos(RTC_WEEKDAY), 0x02); /* Monday */
  CHECK_EQ(cmos(RTC_REG_C), 0);
  /* Time moves with the monotonic clock: 2 s later the minute rolled over. */
  fake_time_set(T0 + 2 * S + 1);
  CHECK_EQ(cmos(RTC_SECONDS), 0x00);
  CHECK_EQ(cmos(RTC_MINUTES), 0x06);
  /* 12-hour binary mode. */
  out(0x70, RTC_REG_B);
  out(0x71, RTC_B_DM_BINARY);
  CHECK_EQ(cmos(RTC_HOURS), RTC_HOUR_PM | 1);
  CHECK_EQ(cmos(RTC_YEAR), 25);
  CHECK_EQ(cmos(RTC_CENTURY), 20);
  /* Midnight is 12 AM in 12-hour BCD. */
  w = (struct rtc_wall){1999, 12, 31, 23, 59, 59};
  CHECK_EQ(rtc_init(&rtc, NULL, &w, T0), HV_OK);
  fake_time_set(T0 + S);
  out(0x70, RTC_REG_B);
  out(0x71, 0);
  CHECK_EQ(cmos(RTC_HOURS), 0x12);
  out(0x70, RTC_REG_B);
  out(0x71, RTC_B_24H);
  CHECK_EQ(cmos(RTC_HOURS), 0x00);
  CHECK_EQ(cmos(RTC_YEAR), 0x00);
  CHECK_EQ(cmos(RTC_CENTURY), 0x20);
  CHECK_EQ(cmos(RTC_MONTH), 0x01);
  CHECK_EQ(cmos(RTC_DAY), 0x01);
  /* A clock that goes backwards (never, but) does not underflow. */
  fake_time_set(0);
  CHECK_EQ(cmos(RTC_SECONDS), 0x59);
}

static void test_index_nvram_and_hostile(void)
{
  fake_time_set(T0);
  fake_events_clear();
  struct rtc_wall w = {2025, 1, 1, 0, 0, 0};
  CHECK_EQ(rtc_init(&rtc, NULL, &w, T0), HV_OK);
  /* Bit 7 of the index port is NMI disable; the index is 7 bits. */
  out(0x70, RTC_NMI_DISABLE | RTC_REG_D);
  CHECK(rtc.nmi_disabled);
  CHECK_EQ(in(0x71), RTC_D_VRT);
  CHECK_EQ(in(0x70), RTC_NMI_DISABLE | RTC_REG_D);
  /* NVRAM bytes keep what is written, in every one of the 114 + 3 alarm bytes. */
  for (uint32_t i = 0x0e; i < RTC_REGS; i++) {
    if (i == RTC_CENTURY)
      continue;
    out(0x70, (uint8_t)i);
    out(0x71, (uint8_t)(i ^ 0x5a));
  }
  uint32_t bad = 0;
  for (uint32_t i = 0x0e; i < RTC_REGS; i++)
    if (i != RTC_CENTURY && cmos((uint8_t)i) != (uint8_t)(i ^ 0x5a))
      bad++;
  CHECK_EQ(bad, 0);
  out(0x70, 0x01);
  out(0x71, 0x30);
  CHECK_EQ(cmos(0x01), 0x30);
  /* The guest cannot set D0's clock, UIP, C or D. */
  out(0x70, RTC_YEAR);
  out(0x71, 0x99);
  CHECK_EQ(cmos(RTC_YEAR), 0x25);
  CHECK(fake_event_find("time-write-ignored") != NULL);
  out(0x70, RTC_REG_A);
  out(0x71, 0xff);
  CHECK_EQ(cmos(RTC_REG_A), 0x7f);
  out(0x70, RTC_REG_D);
  out(0x71, 0);
  CHECK_EQ(cmos(RTC_REG_D), RTC_D_VRT);
  CHECK(fake_event_find("read-only-register") != NULL);
  /* A 2-byte OUT to 0x70 selects the index, then writes the data byte. */
  rtc_ops.write(&rtc, 0, 2, 0x4440);
  CHECK_EQ(cmos(0x40), 0x44);
  CHECK_EQ(rtc_ops.read(&rtc, 0, 2), 0x4440);
  /* Out-of-range wall-clock fields are refused and the RTC is left as it was. */
  struct rtc_wall bads[] = {{1969, 12, 31, 23, 59, 59}, {2200, 1, 1, 0, 0, 0},
                            {2025, 0, 1, 0, 0, 0},      {2025, 13, 1, 0, 0, 0},
                            {2025, 4, 31, 0, 0, 0},     {2025, 2, 29, 0, 0, 0},
                            {2025, 1, 0, 0, 0, 0},      {2025, 1, 1, 24, 0, 0},
                            {2025, 1, 1, 0, 60, 0},     {2025, 1, 1, 0, 0, 60}};
  uint64_t base = rtc.base_s;
  for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
    CHECK_EQ(rtc_init(&rtc, NULL, &bads[i], T0), HV_E_INVAL);
  CHECK_EQ(rtc_init(&rtc, NULL, NULL, T0), HV_E_INVAL);
  CHECK_EQ(rtc.base_s, base);
}

void test_rtc_all(void)
{
  RUN(test_epoch_conversion);
  RUN(test_registers_linux_reads);
  RUN(test_index_nvram_and_hostile);
}
