/*
 * Host tests of the e1000 driver's receive path (kernel/dev/net/e1000.c poll_rx) against
 * descriptors a hostile or broken NIC writes: length 0, below the Ethernet header, past the
 * frame limit and the buffer, EOP missing (a frame spanning descriptors), error bits, a clobbered
 * buffer address, budgets and ring wrap. The registers are simulated (e1000_sim.h); the driver's
 * memory is a heap block of exactly E1000_MEM_BYTES, so any read past it is an ASan report.
 * Prints "e1000: N checks, N failed" (read by test/kernel/net.test.ts).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "e1000_sim.h"

#define DD 0x01
#define EOP 0x02
#define REG_RDT 0x2818u

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct uplink u;
static struct sim_rx_desc *ring;
static uint32_t ring_n;
static uint8_t *bufs[64]; /* each descriptor's buffer, as start() gave it to the NIC */

/* What the driver handed over. */
static struct {
  uint32_t count, len;
  const uint8_t *at;
  uint8_t first;
} got;

static void on_rx(void *ctx, const uint8_t *frame, uint32_t len)
{
  CHECK(ctx == &got);
  got.count++, got.len = len, got.at = frame, got.first = frame[0];
  (void)frame[len - 1]; /* the whole frame is readable (ASan) */
}

static void start(void)
{
  static uint8_t *mem;
  if (mem == NULL)
    mem = malloc(E1000_MEM_BYTES);
  memset(&u, 0, sizeof u);
  memset(&got, 0, sizeof got);
  e1000_sim_reset(MAC);
  u.ops = &E1000_OPS;
  u.mmio = (volatile uint8_t *)e1000_sim.regs;
  u.mem = (struct uplink_mem){mem, E1000_MEM_BYTES};
  CHECK_EQ(E1000_OPS.start(&u), 0);
  CHECK(memcmp(u.mac, MAC, 6) == 0);
  ring = e1000_sim_rx_ring(&ring_n);
  CHECK(ring != NULL);
  CHECK(ring_n >= 8 && ring_n <= 64);
  for (uint32_t i = 0; i < ring_n && i < 64; i++)
    bufs[i] = (uint8_t *)(uintptr_t)ring[i].addr;
}

/* The NIC completes descriptor i: len bytes (tagged), status and errors as given. */
static void nic_write(uint32_t i, uint16_t len, uint8_t status, uint8_t errors, uint8_t tag)
{
  memset(bufs[i], tag, len < 2048 ? len : 2048);
  ring[i].len = len;
  ring[i].status = status;
  ring[i].errors = errors;
}

static uint32_t poll(uint32_t budget) { return E1000_OPS.poll_rx(&u, budget, on_rx, &got); }

static void test_good_frames(void)
{
  start();
  nic_write(0, 60, DD | EOP, 0, 0xa1);
  CHECK_EQ(poll(32), 1);
  CHECK_EQ(got.count, 1);
  CHECK_EQ(got.len, 60);
  CHECK(got.at == bufs[0]);
  CHECK_EQ(got.first, 0xa1);
  CHECK_EQ(ring[0].status, 0); /* handed back to the NIC, clean */
  CHECK_EQ(e1000_sim.regs[REG_RDT / 4], 0);
  CHECK_EQ(u.rx_next, 1);
  CHECK_EQ(u.stats.rx_frames, 1);
  CHECK_EQ(u.stats.rx_bytes, 60);
  nic_write(1, 14, DD | EOP, 0, 0xa2);   /* the shortest: a bare Ethernet header */
  nic_write(2, 1514, DD | EOP, 0, 0xa3); /* the longest without FCS */
  CHECK_EQ(poll(32), 2);
  CHECK_EQ(got.len, 1514);
  CHECK_EQ(got.first, 0xa3);
  CHECK_EQ(poll(32), 0); /* nothing more: DD clear */
  CHECK_EQ(e1000_sim.bad_access, 0);
}

static void test_bad_lengths(void)
{
  static const uint16_t lens[] = {0, 1, 13, 1515, 1518, 2048, 2049, 0xffff};
  start();
  for (uint32_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
    nic_write(k, lens[k], DD | EOP, 0, (uint8_t)k);
  CHECK_EQ(poll(32), 0);
  CHECK_EQ(got.count, 0);
  CHECK_EQ(u.stats.rx_errors, sizeof lens / sizeof lens[0]);
  CHECK_EQ(u.rx_next, sizeof lens / sizeof lens[0]);
  for (uint32_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
    CHECK_EQ(ring[k].status, 0); /* every slot recycled */
}

static void test_error_bits(void)
{
  start();
  for (uint32_t b = 0; b < 8; b++)
    nic_write(b, 60, DD | EOP, (uint8_t)(1u << b), 0);
  nic_write(8, 60, DD | EOP, 0, 0xc8);
  CHECK_EQ(poll(32), 1);
  CHECK_EQ(got.first, 0xc8);
  CHECK_EQ(u.stats.rx_errors, 8);
}

/* A frame spanning descriptors (no EOP until its last piece) is dropped whole, once; the
 * frame after it is taken. */
static void test_chain_without_eop(void)
{
  start();
  nic_write(0, 2048, DD, 0, 0xd0);
  nic_write(1, 2048, DD, 0, 0xd1);
  nic_write(2, 100, DD | EOP, 0, 0xd2); /* the chain's tail: not a frame of its own */
  nic_write(3, 64, DD | EOP, 0, 0xd3);
  CHECK_EQ(poll(32), 1);
  CHECK_EQ(got.count, 1);
  CHECK_EQ(got.first, 0xd3);
  CHECK_EQ(u.stats.rx_errors, 1);
  CHECK(!u.rx_in_chain);
  /* A chain cut by the budget goes on being dropped in the next poll. */
  nic_write(4, 2048, DD, 0, 0xd4);
  nic_write(5, 60, DD | EOP, 0, 0xd5);
  CHECK_EQ(poll(1), 0);
  CHECK(u.rx_in_chain);
  CHECK_EQ(poll(32), 0);
  CHECK(!u.rx_in_chain);
  CHECK_EQ(u.stats.rx_errors, 2);
  /* A restart forgets a chain in progress. */
  nic_write(6, 2048, DD, 0, 0);
  CHECK_EQ(poll(32), 0);
  CHECK(u.rx_in_chain);
  start();
  CHECK(!u.rx_in_chain);
}

/* Descriptors the NIC rewrote: a foreign buffer address is never used, and is restored. */
static void test_clobbered_address(void)
{
  start();
  nic_write(0, 60, DD | EOP, 0, 0xe0);
  ring[0].addr = 0xdead0000beefull;
  CHECK_EQ(poll(32), 1);
  CHECK(got.at == bufs[0]);
  CHECK_EQ(ring[0].addr, (uint64_t)(uintptr_t)bufs[0]);
}

static void test_budget_and_wrap(void)
{
  start();
  for (uint32_t i = 0; i < 5; i++)
    nic_write(i, 60, DD | EOP, 0, (uint8_t)i);
  CHECK_EQ(poll(3), 3);
  CHECK_EQ(u.rx_next, 3);
  CHECK_EQ(poll(0), 0);
  CHECK_EQ(poll(32), 2);
  /* Round the ring several times: each slot's buffer, in order, the tail following. */
  uint32_t bad = 0;
  for (uint32_t n = 0; n < 5 * ring_n; n++) {
    uint32_t i = u.rx_next;
    nic_write(i, (uint16_t)(14 + n % 1501), DD | EOP, 0, (uint8_t)n);
    got.count = 0;
    if (poll(1) != 1 || got.at != bufs[i] || got.first != (uint8_t)n || got.len != 14 + n % 1501 ||
        e1000_sim.regs[REG_RDT / 4] != i)
      bad++;
  }
  CHECK_EQ(bad, 0);
  /* A full ring of completed descriptors: one poll of a large budget takes each once. */
  for (uint32_t i = 0; i < ring_n; i++)
    nic_write(i, 60, DD | EOP, 0, 0);
  got.count = 0;
  CHECK_EQ(poll(1000), ring_n);
  CHECK_EQ(got.count, ring_n);
}

/* Random descriptors written anywhere in the ring, random budgets: whatever is handed over is
 * inside one of the driver's buffers and within the frame limits; the cursor stays in the ring. */
static void test_random(void)
{
  start();
  srand(11);
  uint32_t bad = 0;
  for (int round = 0; round < 20000; round++) {
    uint32_t i = (uint32_t)rand() % ring_n;
    nic_write(i, (uint16_t)rand(), (uint8_t)rand(), (uint8_t)(rand() % 4 == 0 ? rand() : 0), 0);
    if (rand() % 8 == 0)
      ring[i].addr = (uint64_t)rand() << 20;
    got.count = 0;
    uint32_t handed = poll((uint32_t)rand() % 40);
    bool inside = false;
    for (uint32_t k = 0; k < ring_n; k++)
      inside = inside || got.at == bufs[k];
    if (handed != got.count || (handed > 0 && (!inside || got.len < 14 || got.len > 1514)) ||
        u.rx_next >= ring_n)
      bad++;
  }
  CHECK_EQ(bad, 0);
  CHECK(u.stats.rx_frames > 0 && u.stats.rx_errors > 0); /* both paths were reached */
  CHECK_EQ(e1000_sim.bad_access, 0);
}

int main(void)
{
  RUN(test_good_frames);
  RUN(test_bad_lengths);
  RUN(test_error_bits);
  RUN(test_chain_without_eop);
  RUN(test_clobbered_address);
  RUN(test_budget_and_wrap);
  RUN(test_random);
  return check_exit("e1000");
}
