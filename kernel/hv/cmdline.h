/*
 * The guest kernel command line, the half of the guest contract (guest/README.md) that D0
 * writes. Exact format, keys separated by one space, in this order:
 *
 *   console=ttyS0 reboot=t panic=-1 quiet root=/dev/vda rw|ro rootfstype=ext4 init=/.d0/init
 *   no_timer_check     (PLATFORM_CMDLINE: IRQ 0's route through the I/O APIC is not re-proven)
 *   [tsc_early_khz=N]  (when the host knows its TSC rate: cmdline_cfg.tsc_khz)
 *   virtio_mmio.device=4K@0xADDR:IRQ   (one per device, in device order: vda first, then eth0)
 *   d0.name=NAME d0.ip=A.B.C.D/N [d0.gw=A.B.C.D] [d0.route=A.B.C.D/N,A.B.C.D ...]
 *
 * ADDR is lowercase hex without leading zeros; IRQ, N and the octets are decimal. One d0.route
 * key per route. NAME is 1..32 of [a-z0-9-] (the manifest's rule, inside PID1's): anything else
 * is refused, so no manifest value can add a key of its own. "ro" only for a read-only disk.
 */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmdline_ip4 {
  uint8_t addr[4];
  uint8_t prefix; /* 0..32; ignored for a plain address */
};

struct cmdline_route {
  struct cmdline_ip4 dest; /* with prefix */
  struct cmdline_ip4 via;
};

struct cmdline_dev {
  uint64_t base;
  uint32_t irq;
};

struct cmdline_cfg {
  const char *name;
  struct cmdline_ip4 ip;
  bool has_gw;
  struct cmdline_ip4 gw;
  const struct cmdline_route *routes;
  uint32_t nroutes;
  const struct cmdline_dev *devs;
  uint32_t ndevs;
  bool root_ro;
  /* The host-measured TSC rate the guest should trust (tsc_early_khz=N), 0 = omitted. Under a
   * hypervisor whose every port access is an exit, Linux's PIT calibration of the TSC fails
   * ("Unable to calibrate against PIT") and the boot then busy-waits on jiffies. */
  uint32_t tsc_khz;
};

/* Writes the NUL-terminated command line into buf[0..cap). HV_E_INVAL or HV_E_CMDLINE_LONG. */
int cmdline_build(char *buf, size_t cap, const struct cmdline_cfg *cfg, size_t *len);

#endif /* HV_CMDLINE_H */
