/*
 * Transmit offloads a VM's virtio-net driver leaves to D0 (virtio 1.2, 5.1.6.2 "Packet
 * Transmission"): the TCP/UDP checksum (VIRTIO_NET_F_CSUM: NEEDS_CSUM, csum_start, csum_offset)
 * and TCP segmentation over IPv4 (VIRTIO_NET_F_HOST_TSO4: gso_type TCPV4, gso_size = MSS). D0
 * finishes both in software at the device, so that everything after it (the bridge's guard and
 * rate limits, the router, the e1000) sees ordinary frames of at most ETH_MAX_FRAME bytes with
 * valid checksums, as if the guest had made them. What the guest gains is one pass of its
 * network stack, one chain and one notification per 64 KiB instead of per segment.
 *
 * The header is the guest's, so untrusted: a checksum range outside the frame, a segmentation
 * request that is not TCP over IPv4 (or carries ECN, not offered), an MSS under
 * NET_OFFLOAD_MIN_MSS or giving segments over ETH_MAX_FRAME, an IP fragment, or headers that do
 * not fit: the frame is refused whole (nothing emitted) with the reason. The segment count is
 * bounded by the frame (64 KiB / NET_OFFLOAD_MIN_MSS).
 *
 * Segments (RFC 793/791 fields a TCP stack would set): each carries the first frame's Ethernet,
 * IPv4 (options kept) and TCP (options kept) headers with its own total length, IP id (the
 * first's + i), header checksum, sequence number (+ i * MSS), flags (FIN and PSH on the last
 * segment only, CWR on the first only) and TCP checksum computed over the segment.
 * Pure code: used by kernel/dev/virtio/virtio_net.c, host-tested and fuzzed in kernel/tests/net.
 */
#ifndef D0_NET_OFFLOAD_H
#define D0_NET_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "net/pkt.h"

/* struct virtio_net_hdr (5.1.6): flags u8, gso_type u8, hdr_len, gso_size, csum_start,
 * csum_offset (le16), num_buffers (le16, RX only). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2 /* RX only: ignored on TX */
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* The smallest MSS accepted (Linux's TCP_MIN_SND_MSS): bounds the segments of one frame. */
#define NET_OFFLOAD_MIN_MSS 48u
/* The largest frame a segmentation request may carry: an IPv4 packet of 64 KiB. */
#define NET_OFFLOAD_MAX_FRAME (ETH_HDR + 65535u)

struct net_tx_offload {
  uint8_t flags, gso_type;
  uint16_t gso_size, csum_start, csum_offset;
};

/* The fields of the first 10 bytes of a virtio_net_hdr (little-endian, VERSION_1). */
struct net_tx_offload net_offload_from_hdr(const uint8_t hdr[10]);

enum net_offload_err {
  NET_OFFLOAD_OK = 0,
  NET_OFFLOAD_NOT_NEGOTIATED, /* NEEDS_CSUM or a gso_type the driver did not negotiate */
  NET_OFFLOAD_BAD_CSUM,       /* csum_start / csum_offset outside the frame */
  NET_OFFLOAD_BAD_GSO,        /* not TCPV4, ECN, without NEEDS_CSUM, or an MSS out of range */
  NET_OFFLOAD_NOT_TCP4,       /* headers not Ethernet + IPv4 + TCP, a fragment, or truncated */
  NET_OFFLOAD_TOO_BIG,        /* over the frame limit for its kind */
};

/* Its name for the log, a stable event name ("offload-bad-csum", ...). */
const char *net_offload_err_name(enum net_offload_err e);

/* What the driver negotiated: VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4. */
struct net_offload_caps {
  bool csum, tso4;
};

/* One finished frame; returns whether the sender may send more now (the bridge's answer). */
typedef bool (*net_emit_fn)(void *ctx, const uint8_t *frame, uint32_t len);

/*
 * Finishes frame[0..len) as o asks and hands the result to emit: the frame itself (no offload:
 * checked against ETH_MAX_FRAME + 4, a VLAN tag's room, as before), the frame with its checksum
 * completed in place (NEEDS_CSUM), or its TCP segments, each built in seg (ETH_MAX_FRAME bytes).
 * On an error nothing is emitted. *frames is how many were emitted; *more is false when any
 * emit said stop (every segment of the frame is still emitted: the chain is already taken).
 */
enum net_offload_err net_offload_tx(uint8_t *frame, uint32_t len, const struct net_tx_offload *o,
                                    struct net_offload_caps caps, uint8_t *seg, net_emit_fn emit,
                                    void *ctx, uint32_t *frames, bool *more);

#endif /* D0_NET_OFFLOAD_H */
