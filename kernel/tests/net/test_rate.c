/* The rate limiter (kernel/net/rate.c): integer token buckets in bytes and packets with one
 * frame of debt, under UBSan (any overflow is a report). */
#include <stdint.h>

#include "check.h"
#include "net/rate.h"

#define MS 1000000ull
#define S 1000000000ull

static void test_unlimited(void)
{
  struct rate_bucket b;
  rate_init(&b, &(struct rate_cfg){0, 0, 0}, 0);
  CHECK(rate_unlimited(&b));
  unsigned refused = 0;
  for (uint32_t i = 0; i < 100000; i++)
    refused += !rate_admit(&b, 0, 0xffffffffu);
  CHECK_EQ(refused, 0);
  rate_init(&b, &(struct rate_cfg){0, 0, 1500}, 0); /* a burst alone limits nothing */
  CHECK(rate_unlimited(&b));
  CHECK(rate_admit(&b, 0, 9000) && rate_admit(&b, 0, 9000));
  rate_init(&b, &(struct rate_cfg){1, 0, 0}, 0);
  CHECK(!rate_unlimited(&b));
}

/* 1000 bytes/s with a burst of 1500: the burst and one frame of debt go at once, then the debt
 * is paid back at the rate, to the nanosecond. */
static void test_bytes_burst_and_debt(void)
{
  struct rate_bucket b;
  rate_init(&b, &(struct rate_cfg){1000, 0, 1500}, 5 * S);
  CHECK(rate_admit(&b, 5 * S, 1000)); /* 1500 -> 500 */
  CHECK(rate_admit(&b, 5 * S, 1000)); /* 500 -> -500: in debt by part of one frame */
  CHECK(!rate_admit(&b, 5 * S, 1));
  CHECK(!rate_ready(&b, 5 * S + 500 * MS - 1));
  CHECK(rate_ready(&b, 5 * S + 500 * MS)); /* exactly 500 bytes later */
  CHECK(rate_admit(&b, 5 * S + 500 * MS, 60));
  CHECK(!rate_ready(&b, 5 * S + 500 * MS));
  /* Idle for long: the bucket fills to the burst and no further. */
  CHECK(rate_ready(&b, 100 * S));
  CHECK(rate_admit(&b, 100 * S, 1500)); /* 1500 -> 0 */
  CHECK(rate_admit(&b, 100 * S, 1));    /* 0 is not debt */
  CHECK(!rate_ready(&b, 100 * S));
  /* A refused frame takes nothing. */
  CHECK(!rate_admit(&b, 100 * S, 1500));
  CHECK(rate_ready(&b, 100 * S + 1 * MS));
}

/* No burst: pacing, one frame at a time, each after the previous one's debt is paid. */
static void test_zero_burst_paces(void)
{
  struct rate_bucket b;
  rate_init(&b, &(struct rate_cfg){1000000, 0, 0}, 0); /* 1 byte per microsecond */
  CHECK(rate_admit(&b, 0, 1500));
  CHECK(!rate_ready(&b, 1499999));
  CHECK(rate_admit(&b, 1500000, 64));
  CHECK(!rate_ready(&b, 1563999));
  CHECK(rate_ready(&b, 1564000));
  CHECK(rate_ready(&b, 10 * S)); /* nothing saved up while idle beyond the (empty) burst */
  CHECK(rate_admit(&b, 10 * S, 100));
  CHECK(!rate_ready(&b, 10 * S + 99999));
}

static void test_packets(void)
{
  struct rate_bucket b;
  /* 100 packets/s: a bucket of RATE_PACKET_BURST_MS (100 ms) = 10 packets, plus one in debt. */
  rate_init(&b, &(struct rate_cfg){0, 100, 0}, 0);
  unsigned passed = 0;
  while (rate_admit(&b, 0, 9000) && passed < 1000)
    passed++;
  CHECK_EQ(passed, 11);
  CHECK(!rate_ready(&b, 10 * MS - 1));
  CHECK(rate_admit(&b, 10 * MS, 64));
  CHECK(!rate_admit(&b, 10 * MS, 64));
  /* 1 packet/s: the bucket still holds one packet. */
  rate_init(&b, &(struct rate_cfg){0, 1, 0}, 0);
  CHECK(rate_admit(&b, 0, 64) && rate_admit(&b, 0, 64));
  CHECK(!rate_admit(&b, 0, 64));
  CHECK(!rate_ready(&b, S - 1));
  CHECK(rate_ready(&b, S));
}

/* Both dimensions: a frame waits for the one in debt. */
static void test_both_dimensions(void)
{
  struct rate_bucket b;
  rate_init(&b, &(struct rate_cfg){1000, 10, 0}, 0); /* one packet of burst */
  CHECK(rate_admit(&b, 0, 10)); /* bytes 0 -> -10, packets 1 -> 0 */
  CHECK(!rate_ready(&b, 9 * MS)); /* bytes still in debt */
  CHECK(rate_admit(&b, 10 * MS, 10)); /* bytes 0, packets 0.1 -> -0.9 */
  CHECK(!rate_ready(&b, 20 * MS)); /* bytes paid, packets not */
  CHECK(!rate_ready(&b, 99 * MS));
  CHECK(rate_ready(&b, 100 * MS));
}

/* The average over a long run is the configured rate, within one frame plus the polling
 * granularity, whatever the frame sizes. */
static void test_average_rate(void)
{
  struct rate_bucket b;
  const uint64_t rate = 1000000, burst = 3000; /* bytes/s, bytes */
  rate_init(&b, &(struct rate_cfg){rate, 0, (uint32_t)burst}, 0);
  uint64_t sent = 0, frames = 0;
  uint32_t size = 64;
  for (uint64_t t = 0; t <= 2 * S; t += 1000) { /* poll every microsecond for 2 s */
    if (rate_admit(&b, t, size)) {
      sent += size, frames++;
      size = 64 + (size * 1103u + 12345u) % 1437u; /* 64..1500, varying */
    }
  }
  uint64_t expect = burst + 2 * rate;
  CHECK_MSG(sent + 1500 + frames >= expect && sent <= expect + 1500,
            "%llu bytes sent in %llu frames, %llu expected", (unsigned long long)sent,
            (unsigned long long)frames, (unsigned long long)expect);
}

/* 100 Gbit/s (1.25e10 bytes/s), the largest burst, gaps of hours and of 2^64 ns, rates up to
 * 2^64-1: no overflow (UBSan), and the arithmetic stays exact. */
static void test_extremes(void)
{
  struct rate_bucket b;
  const uint64_t g100 = 12500000000ull;
  rate_init(&b, &(struct rate_cfg){g100, 0, 0}, 0);
  CHECK(rate_admit(&b, 0, 1500));
  CHECK(!rate_ready(&b, 119)); /* 1500 bytes take 120 ns at 100 Gbit/s */
  CHECK(rate_ready(&b, 120));
  rate_init(&b, &(struct rate_cfg){g100, 0xffffffffu, 0xffffffffu}, 0);
  CHECK(rate_admit(&b, 0, 0xffffffffu));
  CHECK(rate_admit(&b, 0, 0xffffffffu)); /* the whole burst, then a 4 GiB frame of debt */
  CHECK(!rate_ready(&b, 0));
  CHECK(rate_ready(&b, 10ull * 3600 * S)); /* ten hours later: full, not overflowed */
  CHECK(rate_admit(&b, 10ull * 3600 * S, 0xffffffffu));
  CHECK(rate_admit(&b, 10ull * 3600 * S, 1));
  CHECK(!rate_ready(&b, 10ull * 3600 * S));
  CHECK(rate_ready(&b, UINT64_MAX));
  rate_init(&b, &(struct rate_cfg){UINT64_MAX, 0xffffffffu, 0}, 0);
  CHECK(rate_admit(&b, 0, 0xffffffffu));
  CHECK(rate_ready(&b, 1)); /* 2^64-1 bytes/s pays any frame in a nanosecond */
  /* Takes without asking (frames already sent) keep the debt bounded. */
  rate_init(&b, &(struct rate_cfg){1, 1, 0}, 0);
  for (int i = 0; i < 10; i++)
    rate_take(&b, 0xffffffffu);
  CHECK(!rate_ready(&b, 0));
  CHECK(rate_ready(&b, UINT64_MAX));
}

/* Time going backwards refills nothing and leaves the bucket usable. */
static void test_time_backwards(void)
{
  struct rate_bucket b;
  rate_init(&b, &(struct rate_cfg){1000, 0, 0}, 10 * S);
  CHECK(rate_admit(&b, 10 * S, 100));
  CHECK(!rate_ready(&b, 1 * S));
  CHECK(!rate_ready(&b, 10 * S + 99 * MS));
  CHECK(rate_ready(&b, 10 * S + 100 * MS));
}

void test_rate_all(void)
{
  RUN(test_unlimited);
  RUN(test_bytes_burst_and_debt);
  RUN(test_zero_burst_paces);
  RUN(test_packets);
  RUN(test_both_dimensions);
  RUN(test_average_rate);
  RUN(test_extremes);
  RUN(test_time_backwards);
}
