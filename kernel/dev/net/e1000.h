/*
 * Intel 8254x ("e1000"; 82540EM, PCI 8086:100E, the NIC of QEMU's -device e1000 and Bochs'
 * e1000 model) as D0's uplink (dev/net/uplink.h). Register and descriptor layout: Intel "PCI/PCI-X
 * Family of Gigabit Ethernet Controllers Software Developer's Manual" (8254x SDM), sections 3.2
 * (receive descriptors), 3.3 (legacy transmit descriptors), 13 (registers), 14 (initialisation).
 */
#ifndef DEV_NET_E1000_H
#define DEV_NET_E1000_H

#include "dev/net/uplink.h"

#define E1000_VENDOR 0x8086
#define E1000_DEVICE_82540EM 0x100e

/* What E1000_OPS.start needs in uplink.mem: both rings and every buffer. */
#define E1000_MEM_BYTES (24u * 4096u)

extern const struct uplink_ops E1000_OPS;

#endif /* DEV_NET_E1000_H */
