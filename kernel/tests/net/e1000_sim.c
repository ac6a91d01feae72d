/* The simulated e1000 register file (contract in e1000_sim.h). */
#include "e1000_sim.h"

#include <string.h>

#define REG_CTRL 0x0000u
#define REG_STATUS 0x0008u
#define REG_RDBAL 0x2800u
#define REG_RDBAH 0x2804u
#define REG_RDLEN 0x2808u
#define REG_RDT 0x2818u
#define REG_RAL0 0x5400u
#define REG_RAH0 0x5404u
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define RAH_AV (1u << 31)

struct e1000_sim e1000_sim;

static uint32_t *reg(uint32_t off)
{
  if (off >= SIM_REG_BYTES || off % 4 != 0) {
    e1000_sim.bad_access++;
    return NULL;
  }
  return &e1000_sim.regs[off / 4];
}

void e1000_sim_reset(const uint8_t mac[6])
{
  memset(&e1000_sim, 0, sizeof e1000_sim);
  e1000_sim.regs[REG_STATUS / 4] = STATUS_LU;
  e1000_sim.regs[REG_RAL0 / 4] =
      (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24;
  e1000_sim.regs[REG_RAH0 / 4] = (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | RAH_AV;
}

uint32_t e1000_sim_rd(uint32_t off)
{
  uint32_t *r = reg(off);
  return r ? *r : 0;
}

void e1000_sim_wr(uint32_t off, uint32_t v)
{
  uint32_t *r = reg(off);
  if (r == NULL)
    return;
  *r = off == REG_CTRL ? v & ~CTRL_RST : v; /* the reset completes at once */
  if (off == REG_RDT)
    e1000_sim.rdt_writes++;
}

struct sim_rx_desc *e1000_sim_rx_ring(uint32_t *count)
{
  uint64_t base = (uint64_t)e1000_sim.regs[REG_RDBAH / 4] << 32 | e1000_sim.regs[REG_RDBAL / 4];
  *count = e1000_sim.regs[REG_RDLEN / 4] / (uint32_t)sizeof(struct sim_rx_desc);
  return (struct sim_rx_desc *)(uintptr_t)base;
}
