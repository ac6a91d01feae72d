/*
 * A simulated 82540EM register file for host tests of the e1000 driver (kernel/dev/net/e1000.c
 * built with -DE1000_MMIO_SIM). It answers what start() polls (reset done at once, link up, a
 * valid MAC in RAL0/RAH0) and records every register write, so a test plays the NIC as the
 * hardware would: it learns the RX ring from RDBAL/RDBAH/RDLEN and the buffers from the
 * descriptors, then writes back whatever descriptors it likes (a hostile NIC).
 */
#ifndef D0_TESTS_NET_E1000_SIM_H
#define D0_TESTS_NET_E1000_SIM_H

#include <stdint.h>

#include "dev/net/e1000.h"

#define SIM_REG_BYTES 0x6000u

/* The 8254x legacy receive descriptor (8254x SDM 3.2.3), as the NIC writes it. */
struct sim_rx_desc {
  uint64_t addr;
  uint16_t len, csum;
  uint8_t status, errors;
  uint16_t special;
};

struct e1000_sim {
  uint32_t regs[SIM_REG_BYTES / 4];
  uint32_t rdt_writes; /* how many times the driver wrote RDT */
  uint32_t bad_access; /* register accesses outside the file or misaligned */
};

extern struct e1000_sim e1000_sim;

/* A NIC just out of reset with mac in its address registers and the link up. */
void e1000_sim_reset(const uint8_t mac[6]);

/* The driver's RX ring as programmed (NULL before start) and its descriptor count. */
struct sim_rx_desc *e1000_sim_rx_ring(uint32_t *count);

#endif
