/*
 * libFuzzer target: any bytes as a virtio-net TX request, through D0's offload finishing
 * (kernel/net/offload.c). Bytes 0..9 are the guest's virtio_net_hdr; byte 10 the negotiated
 * features (bit 0 CSUM, bit 1 HOST_TSO4) and, with bit 2, plants a plausible Ethernet + IPv4 +
 * TCP header (and the offload fields Linux would set) so that segmentation is reached deeply;
 * the rest is the frame, copied to a buffer of exactly its size.
 * Invariants beyond "no crash, no sanitizer report": nothing is emitted on a refusal; every
 * emitted frame is at most ETH_MAX_FRAME bytes (at most the request's size without
 * segmentation); the segment count is bounded by the frame; every segment of an accepted
 * segmentation is a well-formed IPv4 packet whose header and TCP checksums verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/offload.h"
#include "net/pkt.h"

#define HEAD 11

static uint32_t emitted, request_len;
static bool segmenting;
static uint8_t copy[ETH_MAX_FRAME];

static bool emit(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  emitted++;
  if (len > ETH_MAX_FRAME && segmenting)
    abort();
  if (!segmenting && len != request_len)
    abort();
  if (segmenting) {
    memcpy(copy, frame, len);
    struct pkt_ip4 ip;
    if (pkt_ip4_parse(copy, len, &ip) != PKT_OK || ip.proto != IP_PROTO_TCP)
      abort();
  }
  return (len & 1) == 0;
}

static void plant(uint8_t *f, uint32_t len, uint8_t *hdr)
{
  if (len < 54)
    return;
  f[12] = 0x08, f[13] = 0x00;
  f[14] = 0x45, f[20] = 0, f[21] = 0, f[23] = 6;
  uint32_t doff = (uint32_t)(f[46] >> 4) * 4;
  if (doff < 20)
    f[46] = 0x50, doff = 20;
  hdr[0] = 1, hdr[1] = 1, hdr[6] = 34, hdr[7] = 0, hdr[8] = 16, hdr[9] = 0;
  if (hdr[4] < 48 && hdr[5] == 0)
    hdr[4] = 48;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < HEAD || size - HEAD > NET_OFFLOAD_MAX_FRAME)
    return 0;
  uint8_t hdr[10];
  memcpy(hdr, data, 10);
  uint32_t len = (uint32_t)(size - HEAD);
  uint8_t *f = malloc(len ? len : 1);
  memcpy(f, data + HEAD, len);
  if (data[10] & 4)
    plant(f, len, hdr);
  struct net_tx_offload o = net_offload_from_hdr(hdr);
  struct net_offload_caps caps = {(data[10] & 1) != 0, (data[10] & 2) != 0};
  uint8_t seg[ETH_MAX_FRAME];
  uint32_t frames = 0;
  bool more = true;
  emitted = 0, request_len = len;
  segmenting = o.gso_type != VIRTIO_NET_HDR_GSO_NONE;
  enum net_offload_err e = net_offload_tx(f, len, &o, caps, seg, emit, NULL, &frames, &more);
  if (e != NET_OFFLOAD_OK && (emitted != 0 || frames != 0))
    abort();
  if (e == NET_OFFLOAD_OK && (emitted != frames || frames == 0 ||
                              frames > 1 + len / NET_OFFLOAD_MIN_MSS))
    abort();
  free(f);
  return 0;
}
