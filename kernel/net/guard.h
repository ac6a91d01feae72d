/*
 * The bridge's anti-spoofing guard: the check of one frame a VM sent, against the MAC and IPv4
 * address the signed manifest gave its port, before the bridge forwards it anywhere (to another
 * VM or to D0). D0's network is IPv4 only, so a frame passes only when it is
 *
 *   - Ethernet II from the port's own MAC (an 802.1Q tag, 0x8100, is refused like any ethertype
 *     other than ARP and IPv4: `ethertype`);
 *   - ARP (RFC 826) for Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4; op request or
 *     reply) whose sender hardware address is the port's MAC and whose sender protocol address is
 *     the port's IPv4, or 0.0.0.0 in a request (an RFC 5227 address probe); a gratuitous ARP for
 *     the port's own address passes;
 *   - IPv4 (RFC 791) with version 4, IHL >= 5, the header and the total length inside the frame
 *     (Ethernet padding after the total length is allowed), from the port's IPv4.
 *
 * Verdicts: a header too short or inconsistent is `malformed`; a source that is not the port's
 * (MAC, ARP sender, IPv4 source) is `spoof`. The IPv4 header checksum is not checked here: the
 * receiving VM's stack and D0's router each verify it on their own input.
 *
 * Pure code over untrusted bytes: each field is read only after the bytes holding it are known to
 * be inside frame[0..len). Host-tested and fuzzed in kernel/tests/net.
 */
#ifndef D0_NET_GUARD_H
#define D0_NET_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "net/counters.h"

/* What the guard knows of a port: the addresses the manifest gave its container. */
struct guard_port {
  uint8_t mac[6];
  uint8_t ip4[4]; /* network byte order */
};

/* true: the frame may be forwarded. false: it is dropped, and *why says which counter it goes to
 * (NET_DROP_MALFORMED, NET_DROP_SPOOF or NET_DROP_ETHERTYPE). */
bool guard_check(const struct guard_port *port, const uint8_t *frame, uint32_t len,
                 enum net_drop *why);

#endif /* D0_NET_GUARD_H */
