/*
 * D0's uplink across the take-over (dev/net/uplink.h is the driver contract, dev/net/own_addr.h
 * what D0 answers). Only when the manifest gives network.uplink_ip4; otherwise all three are
 * no-ops and the build runs on its bridge alone, as before.
 *
 *   uplink_prepare   before ExitBootServices: finds the NIC on PCI (e1000 today), enables memory
 *                    decoding and bus mastering, allocates its rings and buffers.
 *   uplink_takeover  after D0's page tables: maps BAR0 uncached and non-executable, starts the
 *                    driver.
 *   uplink_tick      from the host loop (run_vms.c), every round: waits for link, resolves the
 *                    gateway by ARP, then answers ARP and ICMP echo for D0's address, at most
 *                    UPLINK_RX_BUDGET received frames per call; the rest goes to the router,
 *                    redundant TCP ACKs of the call's batch thinned first (net/ack_thin.h).
 *
 * Events: ev=uplink_nic (the NIC found), ev=uplink_mmio bar0= pte_first= pte_last= (the flags
 * of BAR0's first and last page in D0's tables), then the outcome, one of
 *   ev=uplink_up nic= mac= ip= gw= gw_mac=
 *   ev=uplink_down reason=no_nic|no_memory|mmio_map|nic_start|no_link|gw_no_answer [nic=]
 * and after it ev=uplink_link nic= state=up|down at each change of the link (read every
 * 100 ms); after reason=no_link, a link that comes up later is resolved as at start (uplink_up).
 * None of these changes the build's health: containers run either way.
 *
 * Reports: when the manifest names a collector (report.collector_ip4/port), every tick once the
 * uplink is up sends queued reports (log/report.h) as UDP datagrams from D0's address, port 514,
 * to it: through the gateway, or directly when it is on the subnet (resolved by ARP first).
 */
#ifndef D0_BOOT_EFI_UPLINK_H
#define D0_BOOT_EFI_UPLINK_H

#include <stdint.h>

#include "d0/manifest.h"
#include "efi/efi_system.h"
#include "net/counters.h"

#define UPLINK_RX_BUDGET 32u

void uplink_prepare(EFI_BOOT_SERVICES *bs, const struct d0_manifest *m);
void uplink_takeover(void);
void uplink_tick(uint64_t now_ns);

/* When D0 halts (every VM stopped): the driver's and D0's own-address counters, once, as
 * ev=uplink_stats nic= rx_frames= rx_bytes= rx_errors= tx_frames= tx_bytes= tx_full=
 * arp_replies= echo_replies= malformed= ignored= not_for_d0= acks_thinned= (only if the driver
 * started; acks_thinned: redundant ACKs never passed to the router, net/ack_thin.h). */
void uplink_report(void);

/* Before a reset or a halt that ends the boot (a trial's rollback, every VM stopped): drives the
 * uplink until it is up (its link, the gateway's ARP), sends every queued report (log/report.h)
 * and waits until the NIC sent them, at most max_ns. Returns at once when the manifest names no
 * collector, the uplink never started, or it is down for good (no link, no gateway). */
void uplink_flush_reports(uint64_t max_ns);
/* The bound the end of a boot gives it: the link wait (3 s) and the gateway's five ARP tries
 * fit, so a down uplink gives up on its own first. */
#define UPLINK_FLUSH_MAX_NS 10000000000ull

/* The router's way out: frame (14..1514 bytes, copied) on the uplink once it is up; dropped
 * before that or when the NIC's ring is full. */
void uplink_send(const uint8_t *frame, uint32_t len);

/* The uplink's network counters (net/counters.h): the router counts the drops of uplink frames
 * there; uplink_report logs them as ev=net_stats nic=<driver> with the driver's rx/tx. */
struct net_counters *uplink_counters(void);

/* Frames the NIC has received and sent so far (its driver's live counts; 0 without an uplink):
 * what tells run_vms.c the polled uplink is busy. */
uint64_t uplink_frames(void);

#endif
