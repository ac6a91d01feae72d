/* Checksum completion and TCP segmentation of a VM's frames (contract in offload.h). */
#include "net/offload.h"

#include "d0/lib.h"

#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define TCP_SEQ 4
#define TCP_FLAGS 13
#define TCP_CSUM 16
#define IP4_TOTAL 2
#define IP4_ID 4
#define IP4_FRAG 6
#define IP4_PROTO 9
#define IP4_CSUM 10

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

struct net_tx_offload net_offload_from_hdr(const uint8_t hdr[10])
{
  return (struct net_tx_offload){hdr[0], hdr[1], le16(hdr + 4), le16(hdr + 6), le16(hdr + 8)};
}

const char *net_offload_err_name(enum net_offload_err e)
{
  switch (e) {
  case NET_OFFLOAD_OK: return "offload-ok";
  case NET_OFFLOAD_NOT_NEGOTIATED: return "offload-not-negotiated";
  case NET_OFFLOAD_BAD_CSUM: return "offload-bad-csum";
  case NET_OFFLOAD_BAD_GSO: return "offload-bad-gso";
  case NET_OFFLOAD_NOT_TCP4: return "offload-not-tcp4";
  case NET_OFFLOAD_TOO_BIG: return "offload-too-big";
  }
  return "offload-unknown";
}

/* An IPv4 UDP frame whose checksum field is the one at [at, at + 2). */
static bool is_udp4_csum(const uint8_t *frame, uint32_t len, uint32_t at)
{
  if (len < ETH_HDR + IP4_MIN_HDR || pkt_be16(frame + 12) != ETHERTYPE_IPV4)
    return false;
  const uint8_t *ip = frame + ETH_HDR;
  uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
  return ip[IP4_PROTO] == IP_PROTO_UDP && at == ETH_HDR + ihl + 6;
}

/* NEEDS_CSUM without segmentation: the field holds the pseudo-header sum; sum from csum_start to
 * the end (the field included) and store the result there. */
static enum net_offload_err complete_csum(uint8_t *frame, uint32_t len, const struct net_tx_offload *o)
{
  uint32_t start = o->csum_start, at = start + (uint32_t)o->csum_offset;
  if (start >= len || at + 2 > len)
    return NET_OFFLOAD_BAD_CSUM;
  uint16_t c = pkt_sum_finish(pkt_sum(0, frame + start, len - start));
  if (c == 0 && is_udp4_csum(frame, len, at))
    c = 0xffff; /* 0 means "no checksum" in UDP (RFC 768) */
  pkt_put16(frame + at, c);
  return NET_OFFLOAD_OK;
}

/* The offsets of a TCP over IPv4 frame to segment: IPv4 header at ETH_HDR, TCP at ETH_HDR + ihl,
 * payload at hl. */
struct tcp4 {
  uint32_t ihl, doff, hl;
};

static enum net_offload_err parse_tcp4(const uint8_t *frame, uint32_t len, struct tcp4 *t)
{
  if (len < ETH_HDR + IP4_MIN_HDR + TCP_MIN_HDR || pkt_be16(frame + 12) != ETHERTYPE_IPV4)
    return NET_OFFLOAD_NOT_TCP4;
  const uint8_t *ip = frame + ETH_HDR;
  t->ihl = (uint32_t)(ip[0] & 0xf) * 4;
  if ((ip[0] >> 4) != 4 || t->ihl < IP4_MIN_HDR || ip[IP4_PROTO] != IP_PROTO_TCP ||
      (pkt_be16(ip + IP4_FRAG) & (IP4_FLAG_MF | IP4_FRAG_OFF)) != 0 ||
      ETH_HDR + t->ihl + TCP_MIN_HDR > len)
    return NET_OFFLOAD_NOT_TCP4;
  t->doff = (uint32_t)(ip[t->ihl + 12] >> 4) * 4;
  t->hl = ETH_HDR + t->ihl + t->doff;
  if (t->doff < TCP_MIN_HDR || t->hl > len)
    return NET_OFFLOAD_NOT_TCP4;
  return NET_OFFLOAD_OK;
}

/* Segment i of n: headers copied from the frame, then its piece of the payload; every field that
 * differs between segments set and both checksums computed. */
static uint32_t build_segment(const uint8_t *frame, const struct tcp4 *t, uint32_t mss, uint32_t i,
                              uint32_t n, uint32_t payload, uint8_t *seg)
{
  uint32_t off = i * mss, piece = payload - off < mss ? payload - off : mss;
  memcpy(seg, frame, t->hl);
  memcpy(seg + t->hl, frame + t->hl + off, piece);
  uint8_t *ip = seg + ETH_HDR, *tcp = ip + t->ihl;
  pkt_put16(ip + IP4_TOTAL, (uint16_t)(t->ihl + t->doff + piece));
  pkt_put16(ip + IP4_ID, (uint16_t)(pkt_be16(frame + ETH_HDR + IP4_ID) + i));
  pkt_put16(ip + IP4_CSUM, 0);
  pkt_put16(ip + IP4_CSUM, pkt_csum(ip, t->ihl));
  pkt_put32(tcp + TCP_SEQ, pkt_be32(frame + ETH_HDR + t->ihl + TCP_SEQ) + off);
  if (i + 1 < n)
    tcp[TCP_FLAGS] &= (uint8_t)~(TCP_FIN | TCP_PSH);
  if (i > 0)
    tcp[TCP_FLAGS] &= (uint8_t)~TCP_CWR;
  pkt_put16(tcp + TCP_CSUM, 0);
  pkt_put16(tcp + TCP_CSUM, pkt_l4_csum(ip + 12, ip + 16, IP_PROTO_TCP, tcp, t->doff + piece));
  return t->hl + piece;
}

static enum net_offload_err segment(const uint8_t *frame, uint32_t len, const struct net_tx_offload *o,
                                    uint8_t *seg, net_emit_fn emit, void *ctx, uint32_t *frames,
                                    bool *more)
{
  if (!(o->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || o->gso_type != VIRTIO_NET_HDR_GSO_TCPV4)
    return NET_OFFLOAD_BAD_GSO;
  if (len > NET_OFFLOAD_MAX_FRAME)
    return NET_OFFLOAD_TOO_BIG;
  struct tcp4 t;
  enum net_offload_err e = parse_tcp4(frame, len, &t);
  if (e != NET_OFFLOAD_OK)
    return e;
  /* Where Linux puts them for TCP: anything else is a confused or hostile driver. */
  if (o->csum_start != ETH_HDR + t.ihl || o->csum_offset != TCP_CSUM)
    return NET_OFFLOAD_BAD_CSUM;
  uint32_t mss = o->gso_size;
  if (mss < NET_OFFLOAD_MIN_MSS)
    return NET_OFFLOAD_BAD_GSO;
  if (t.hl + mss > ETH_MAX_FRAME)
    return NET_OFFLOAD_TOO_BIG;
  uint32_t payload = len - t.hl, n = payload == 0 ? 1 : (payload + mss - 1) / mss;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t seg_len = build_segment(frame, &t, mss, i, n, payload, seg);
    (*frames)++;
    if (!emit(ctx, seg, seg_len))
      *more = false;
  }
  return NET_OFFLOAD_OK;
}

enum net_offload_err net_offload_tx(uint8_t *frame, uint32_t len, const struct net_tx_offload *o,
                                    struct net_offload_caps caps, uint8_t *seg, net_emit_fn emit,
                                    void *ctx, uint32_t *frames, bool *more)
{
  *frames = 0;
  *more = true;
  bool csum = (o->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
  if ((csum && !caps.csum) || (o->gso_type != VIRTIO_NET_HDR_GSO_NONE && !caps.tso4))
    return NET_OFFLOAD_NOT_NEGOTIATED;
  if (o->gso_type != VIRTIO_NET_HDR_GSO_NONE)
    return segment(frame, len, o, seg, emit, ctx, frames, more);
  if (csum) {
    enum net_offload_err e = complete_csum(frame, len, o);
    if (e != NET_OFFLOAD_OK)
      return e;
  }
  *frames = 1;
  *more = emit(ctx, frame, len);
  return NET_OFFLOAD_OK;
}
