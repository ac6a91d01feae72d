/*
 * ev=net_stats: the network counters of one container (net/counters.h: what the bridge and the
 * router counted for its port) or of the uplink, as one logfmt event:
 *
 *   net_stats <key>=<name> rx_packets= rx_bytes= tx_packets= tx_bytes= drop_<reason>=...
 *
 * with one drop_ key per enum net_drop reason, named by net_drop_name. run_vms.c logs it for a
 * VM every NET_STATS_PERIOD_NS while its counters changed, and once when the VM stops.
 */
#ifndef D0_BOOT_EFI_NET_STATS_H
#define D0_BOOT_EFI_NET_STATS_H

#include "net/counters.h"

#define NET_STATS_PERIOD_NS 10000000000ull /* 10 s */

/* key/name say whose counters they are: ("vm", container name) or ("nic", the uplink's). */
void net_stats_log(const char *key, const char *name, const struct net_counters *c);

#endif
