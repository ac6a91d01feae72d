/*
 * Brings the firmware's network stack up for a pull, before ExitBootServices: connects the
 * drivers of every PCI network controller (after a disk boot OVMF has not connected them), sets
 * each NIC's IPv4 policy to DHCP (EFI_IP4_CONFIG2_PROTOCOL; the default is static with no
 * address) and waits, until deadline_ns of arch_time_ns(), for a NIC that has both an address
 * and an HTTP service binding. The first such NIC is the one the pull uses.
 *
 * Setting the policy is an NV write of the firmware's (its per-NIC configuration variable), made
 * once: a NIC already on DHCP is left as it is (the firmware answers EFI_ABORTED).
 */
#ifndef D0_BOOT_EFI_PULL_NETUP_H
#define D0_BOOT_EFI_PULL_NETUP_H

#include <stdint.h>

#include "efi/efi_net.h"

struct netup {
  EFI_SERVICE_BINDING_PROTOCOL *http_sb;
  uint8_t mac[6];
  uint8_t ip[4];
  uint32_t nics; /* NICs with an HTTP service binding */
};

/* NULL when up, else the reason for the log: "no_nic" (no NIC with HTTP), "no_address"
 * (DHCP gave none before the deadline). */
const char *netup(EFI_BOOT_SERVICES *bs, uint64_t deadline_ns, struct netup *out);

#endif
