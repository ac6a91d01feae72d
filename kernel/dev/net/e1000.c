/* The e1000 (82540EM) uplink driver, polled (contract in uplink.h, references in e1000.h). */
#include "dev/net/e1000.h"

#include "d0/lib.h"

/* Registers (8254x SDM 13.4). */
#define REG_CTRL 0x0000
#define REG_STATUS 0x0008
#define REG_EERD 0x0014
#define REG_ICR 0x00c0
#define REG_IMC 0x00d8
#define REG_RCTL 0x0100
#define REG_TCTL 0x0400
#define REG_TIPG 0x0410
#define REG_RDBAL 0x2800
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_TDBAL 0x3800
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_MTA 0x5200
#define REG_RAL0 0x5400
#define REG_RAH0 0x5404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define EERD_START 1u
#define EERD_DONE (1u << 4)
#define RAH_AV (1u << 31)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)   /* accept broadcast (ARP) */
#define RCTL_SECRC (1u << 26) /* strip the FCS */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)    /* pad short packets to 64 bytes */
#define TCTL_CT (0x0fu << 4)
#define TCTL_COLD (0x40u << 12)
#define TIPG_82540 (10u | 8u << 10 | 6u << 20) /* IPGT, IPGR1, IPGR2 for copper (13.4.34) */

/* Descriptors (3.2.3, 3.3.3): 16 bytes each; rings a multiple of 128 bytes. */
#define DESC_DD 0x01
#define DESC_EOP 0x02
#define TX_CMD_EOP 0x01
#define TX_CMD_IFCS 0x02
#define TX_CMD_RS 0x08
#define RX_N 32u
#define TX_N 8u
#define BUF 2048u /* RCTL.BSIZE 00 */
#define FRAME_MIN 14u
#define FRAME_MAX 1514u
#define RESET_POLLS 100000u
#define EERD_POLLS 10000u
#define MTA_N 128u

struct rx_desc {
  uint64_t addr;
  uint16_t len, csum;
  uint8_t status, errors;
  uint16_t special;
};

struct tx_desc {
  uint64_t addr;
  uint16_t len;
  uint8_t cso, cmd, status, css;
  uint16_t special;
};

_Static_assert(sizeof(struct rx_desc) == 16, "8254x receive descriptor");
_Static_assert(sizeof(struct tx_desc) == 16, "8254x legacy transmit descriptor");

/* Layout of uplink.mem: RX ring, TX ring (one page each), then RX and TX buffers. */
#define OFF_RX_RING 0u
#define OFF_TX_RING 4096u
#define OFF_RX_BUF 8192u
#define OFF_TX_BUF (OFF_RX_BUF + RX_N * BUF)
_Static_assert(OFF_TX_BUF + TX_N * BUF <= E1000_MEM_BYTES, "E1000_MEM_BYTES holds every buffer");

#ifdef E1000_MMIO_SIM
/* Host tests only (kernel/tests/net/e1000_sim.h): the registers are a simulated NIC's. */
uint32_t e1000_sim_rd(uint32_t reg);
void e1000_sim_wr(uint32_t reg, uint32_t v);
static uint32_t rd(struct uplink *u, uint32_t reg) { return (void)u, e1000_sim_rd(reg); }
static void wr(struct uplink *u, uint32_t reg, uint32_t v) { (void)u, e1000_sim_wr(reg, v); }
#else
static uint32_t rd(struct uplink *u, uint32_t reg) { return *(volatile uint32_t *)(u->mmio + reg); }
static void wr(struct uplink *u, uint32_t reg, uint32_t v)
{
  /* Descriptor stores (write-back memory) must be visible before the tail write that hands
   * them to the NIC: x86 keeps stores in order, the barrier keeps the compiler from reordering. */
  __asm__ volatile("" ::: "memory");
  *(volatile uint32_t *)(u->mmio + reg) = v;
}
#endif

static volatile struct rx_desc *rx_ring(struct uplink *u) { return (volatile struct rx_desc *)(u->mem.base + OFF_RX_RING); }
static volatile struct tx_desc *tx_ring(struct uplink *u) { return (volatile struct tx_desc *)(u->mem.base + OFF_TX_RING); }
static uint8_t *rx_buf(struct uplink *u, uint32_t i) { return u->mem.base + OFF_RX_BUF + i * BUF; }
static uint8_t *tx_buf(struct uplink *u, uint32_t i) { return u->mem.base + OFF_TX_BUF + i * BUF; }

/* The MAC: RAL0/RAH0 as the NIC loaded them from its EEPROM at reset, else EEPROM words 0..2. */
static int read_mac(struct uplink *u)
{
  uint32_t ral = rd(u, REG_RAL0), rah = rd(u, REG_RAH0);
  if (rah & RAH_AV) {
    for (int i = 0; i < 4; i++)
      u->mac[i] = (uint8_t)(ral >> (8 * i));
    u->mac[4] = (uint8_t)rah, u->mac[5] = (uint8_t)(rah >> 8);
  } else {
    for (uint32_t w = 0; w < 3; w++) {
      wr(u, REG_EERD, EERD_START | w << 8);
      uint32_t v = 0, polls = 0;
      while (!((v = rd(u, REG_EERD)) & EERD_DONE))
        if (++polls == EERD_POLLS)
          return -1;
      u->mac[2 * w] = (uint8_t)(v >> 16), u->mac[2 * w + 1] = (uint8_t)(v >> 24);
    }
  }
  if (u->mac[0] & 1)
    return -1;
  wr(u, REG_RAL0, (uint32_t)u->mac[0] | u->mac[1] << 8 | u->mac[2] << 16 | (uint32_t)u->mac[3] << 24);
  wr(u, REG_RAH0, (uint32_t)u->mac[4] | u->mac[5] << 8 | RAH_AV);
  return 0;
}

static int e1000_start(struct uplink *u)
{
  if (u->mem.base == NULL || u->mem.bytes < E1000_MEM_BYTES || u->mmio == NULL)
    return -1;
  memset(u->mem.base, 0, E1000_MEM_BYTES);
  wr(u, REG_IMC, 0xffffffffu); /* polled: no interrupts */
  wr(u, REG_CTRL, rd(u, REG_CTRL) | CTRL_RST);
  uint32_t polls = 0;
  while (rd(u, REG_CTRL) & CTRL_RST)
    if (++polls == RESET_POLLS)
      return -1;
  wr(u, REG_IMC, 0xffffffffu);
  (void)rd(u, REG_ICR);
  wr(u, REG_CTRL, (rd(u, REG_CTRL) | CTRL_SLU | CTRL_ASDE));
  if (read_mac(u) < 0)
    return -1;
  for (uint32_t i = 0; i < MTA_N; i++)
    wr(u, REG_MTA + 4 * i, 0);

  volatile struct rx_desc *rx = rx_ring(u);
  for (uint32_t i = 0; i < RX_N; i++)
    rx[i].addr = (uint64_t)(uintptr_t)rx_buf(u, i);
  uint64_t rxa = (uint64_t)(uintptr_t)rx, txa = (uint64_t)(uintptr_t)tx_ring(u);
  wr(u, REG_RDBAL, (uint32_t)rxa);
  wr(u, REG_RDBAH, (uint32_t)(rxa >> 32));
  wr(u, REG_RDLEN, RX_N * (uint32_t)sizeof(struct rx_desc));
  wr(u, REG_RDH, 0);
  wr(u, REG_RDT, RX_N - 1); /* one descriptor stays empty: head == tail means "ring full" */
  wr(u, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
  wr(u, REG_TDBAL, (uint32_t)txa);
  wr(u, REG_TDBAH, (uint32_t)(txa >> 32));
  wr(u, REG_TDLEN, TX_N * (uint32_t)sizeof(struct tx_desc));
  wr(u, REG_TDH, 0);
  wr(u, REG_TDT, 0);
  wr(u, REG_TIPG, TIPG_82540);
  wr(u, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
  u->rx_next = 0, u->tx_next = 0;
  u->rx_in_chain = false;
  return 0;
}

static bool e1000_link_up(struct uplink *u) { return (rd(u, REG_STATUS) & STATUS_LU) != 0; }

static int e1000_tx(struct uplink *u, const uint8_t *frame, uint32_t len)
{
  if (len < FRAME_MIN || len > FRAME_MAX)
    return -1;
  uint32_t i = u->tx_next, next = (i + 1) % TX_N;
  volatile struct tx_desc *d = &tx_ring(u)[i];
  /* A slot is free once the NIC wrote DD back (RS asks for it); slots never used have cmd 0. */
  if (d->cmd != 0 && !(d->status & DESC_DD)) {
    u->stats.tx_full++;
    return -1;
  }
  memcpy(tx_buf(u, i), frame, len);
  d->addr = (uint64_t)(uintptr_t)tx_buf(u, i);
  d->len = (uint16_t)len;
  d->cso = 0, d->css = 0, d->special = 0, d->status = 0;
  d->cmd = TX_CMD_EOP | TX_CMD_IFCS | TX_CMD_RS;
  u->tx_next = next;
  wr(u, REG_TDT, next);
  u->stats.tx_frames++;
  u->stats.tx_bytes += len;
  return 0;
}

static bool e1000_tx_done(struct uplink *u)
{
  volatile struct tx_desc *d = &tx_ring(u)[(u->tx_next + TX_N - 1) % TX_N];
  return d->cmd == 0 || (d->status & DESC_DD) != 0; /* the last frame handed over went out */
}

static uint32_t e1000_poll_rx(struct uplink *u, uint32_t budget, uplink_rx_fn fn, void *ctx)
{
  uint32_t handed = 0;
  volatile struct rx_desc *rx = rx_ring(u);
  for (uint32_t seen = 0; seen < budget; seen++) {
    uint32_t i = u->rx_next;
    volatile struct rx_desc *d = &rx[i];
    if (!(d->status & DESC_DD))
      break;
    __asm__ volatile("" ::: "memory"); /* read the descriptor's length only after its DD */
    uint32_t len = d->len;
    /* The NIC's length is still hostile input for the code above: bounded by the buffer and
     * the frame limits here, so a frame never reaches fn with bytes it does not hold. A frame
     * spanning descriptors (no EOP) is dropped whole: its later pieces up to the one with EOP
     * are never taken for frames of their own. */
    bool eop = (d->status & DESC_EOP) != 0, tail = u->rx_in_chain;
    u->rx_in_chain = !eop;
    if (tail) {
      /* counted once, at the chain's first descriptor */
    } else if (!eop || d->errors != 0 || len < FRAME_MIN || len > FRAME_MAX) {
      u->stats.rx_errors++;
    } else {
      u->stats.rx_frames++;
      u->stats.rx_bytes += len;
      fn(ctx, rx_buf(u, i), len);
      handed++;
    }
    d->status = 0;
    d->addr = (uint64_t)(uintptr_t)rx_buf(u, i);
    u->rx_next = (i + 1) % RX_N;
    /* Slot i becomes the one descriptor held back; the one held back before goes to the NIC. */
    wr(u, REG_RDT, i);
  }
  return handed;
}

const struct uplink_ops E1000_OPS = {
    .name = "e1000",
    .start = e1000_start,
    .link_up = e1000_link_up,
    .tx = e1000_tx,
    .tx_done = e1000_tx_done,
    .poll_rx = e1000_poll_rx,
};
