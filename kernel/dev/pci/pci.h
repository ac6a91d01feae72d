/*
 * PCI configuration space through the legacy mechanism #1 ports (0xCF8 address, 0xCFC data;
 * PCI Local Bus Specification 3.0, 3.2.2.3.2): enough to find D0's uplink NIC and enable it.
 * ECAM (the ACPI MCFG table) replaces this once D0 reads ACPI; every host D0 targets still
 * decodes these ports for bus 0..255, function 0..7, the first 256 bytes.
 */
#ifndef DEV_PCI_PCI_H
#define DEV_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_BUS 256u /* the scan's bound: every bus number, no bridge walking needed */

struct pci_dev {
  uint8_t bus, dev, fn;
  uint16_t vendor, device;
  uint64_t bar0;       /* memory BAR0's base (64-bit BARs combined) */
  uint64_t bar0_bytes; /* its size, from the all-ones probe */
};

/* The first function with vendor:device, scanning bus 0..PCI_MAX_BUS-1 in order. false if none,
 * or if its BAR0 is not a memory BAR. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out);

/* One 32-bit configuration register (reg rounded down to a multiple of 4). */
uint32_t pci_cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg);

/* Sets memory space and bus master in the command register and clears I/O space. */
void pci_enable_mmio_dma(const struct pci_dev *d);

#endif /* DEV_PCI_PCI_H */
