/*
 * Where a micro-VM's devices live (the guest contract, see kernel/hv/README.md). The device
 * window is the 3..4 GiB hole that guest RAM never occupies (guest_mem.h).
 */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

#define LAYOUT_VIRTIO_BLK_BASE 0xd0000000ull /* vda: the root disk, always the first device */
#define LAYOUT_VIRTIO_BLK_GSI 5
#define LAYOUT_VIRTIO_NET_BASE 0xd0001000ull /* eth0 */
#define LAYOUT_VIRTIO_NET_GSI 6
#define LAYOUT_UART_PORT 0x3f8               /* 16550 COM1, console=ttyS0, GSI 4 */
#define LAYOUT_UART_GSI 4

#endif /* HV_LAYOUT_H */
