/*
 * libFuzzer target: D0's router (kernel/net/router.c) fed any sequence of frames at both inputs
 * interleaved with clock steps and ticks. The input is a list of records:
 *   op (1 byte), length (1 byte, x8 for frames), then that many bytes.
 * op & 3: 0 a frame from a VM (bridge port (op >> 2) & 3, port 3 unknown), 1 a frame from the
 * uplink, 2 the clock moves by the record's bytes as seconds, then a tick, 3 the gateway's MAC
 * forgotten or set. Bits 4..6 of op help the fuzzer past the checks quickly: bit 4 writes the
 * addresses a real sender would use (destination MAC, source MAC and IP), bit 5 recomputes the
 * IPv4 and L4 checksums, bit 6 builds a well-formed frame from the record's bytes instead
 * (protocol, ports, flags, options, fragment bits; from the uplink, optionally the reply to, or
 * an ICMP error about, the last frame the router sent there).
 * Invariants beyond "no crash, no sanitizer report": every frame out goes to a configured
 * container (its MAC, its IP, from the bridge MAC) or to the gateway (from D0's uplink MAC and
 * IP), is 60..1514 bytes, and has valid IPv4 and L4 checksums; the connection table is never
 * over capacity and no container holds more than its share.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "net/router.h"

static const uint8_t BRIDGE_MAC[6] = D0_BRIDGE_MAC;
static const uint8_t UP_MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t UP_IP[4] = {192, 0, 2, 10};
static const uint8_t GW_MAC[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static struct router r;
static struct router_cfg cfg;
static struct net_counters cnt[3], up_cnt;

static void check_ipv4(const uint8_t *f, uint32_t len)
{
  if (len < ETH_MIN_FRAME || len > ETH_MAX_FRAME)
    abort();
  if (pkt_be16(f + 12) == ETHERTYPE_IPV4 && !tf_checksums_ok(f, len))
    abort();
}

static void to_port(void *ctx, uint32_t port, const uint8_t *f, uint32_t len)
{
  (void)ctx;
  check_ipv4(f, len);
  const struct router_container *c = 0;
  for (uint32_t i = 0; i < cfg.n_containers; i++)
    if (cfg.containers[i].port == port)
      c = &cfg.containers[i];
  if (c == 0 || memcmp(f, c->mac, 6) != 0 || memcmp(f + 6, BRIDGE_MAC, 6) != 0)
    abort();
  if (pkt_be16(f + 12) == ETHERTYPE_IPV4 && memcmp(f + 30, c->ip, 4) != 0)
    abort();
}

/* The last frame sent to the uplink, for replies and ICMP errors about it. */
static uint8_t last_up[ETH_MAX_FRAME];
static uint32_t last_up_len;

static void to_uplink(void *ctx, const uint8_t *f, uint32_t len)
{
  (void)ctx;
  check_ipv4(f, len);
  memcpy(last_up, f, len);
  last_up_len = len;
  if (memcmp(f, GW_MAC, 6) != 0 || memcmp(f + 6, UP_MAC, 6) != 0 ||
      pkt_be16(f + 12) != ETHERTYPE_IPV4 || memcmp(f + 26, UP_IP, 4) != 0)
    abort();
}

static void configure(void)
{
  memset(&cfg, 0, sizeof cfg);
  memcpy(cfg.bridge_mac, BRIDGE_MAC, 6);
  cfg.bridge_ip[0] = 10, cfg.bridge_ip[1] = 20, cfg.bridge_ip[3] = 1;
  cfg.bridge_prefix = 24;
  cfg.egress_nat = cfg.uplink = true;
  memcpy(cfg.uplink_mac, UP_MAC, 6);
  memcpy(cfg.uplink_ip, UP_IP, 4);
  cfg.n_containers = 3;
  for (uint32_t i = 0; i < 3; i++) {
    struct router_container *c = &cfg.containers[i];
    c->port = i;
    c->mac[0] = 2, c->mac[5] = (uint8_t)(0x10 + i);
    c->ip[0] = 10, c->ip[1] = 20, c->ip[3] = (uint8_t)(2 + i);
    c->counters = &cnt[i];
  }
  cfg.containers[0].n_publish = 2;
  cfg.containers[0].publish[0] = (struct router_publish){IP_PROTO_TCP, 8080, 80};
  cfg.containers[0].publish[1] = (struct router_publish){IP_PROTO_UDP, 40000, 53};
  cfg.containers[1].egress.restricted = true;
  cfg.containers[1].egress.n_rules = 1;
  cfg.containers[1].egress.rules[0] = (struct policy_rule){{198, 51, 100, 0}, 24, IP_PROTO_TCP, 1, 1024};
  cfg.uplink_counters = &up_cnt;
  cfg.seed = 1;
  cfg.to_port = to_port;
  cfg.to_uplink = to_uplink;
  if (router_init(&r, &cfg) != 0)
    abort();
  router_set_gw_mac(&r, GW_MAC);
}

/* Recomputes the checksums of an IPv4 frame whose lengths are sane (else leaves it). */
static void fix_checksums(uint8_t *f, uint32_t len)
{
  if (len < 34 || pkt_be16(f + 12) != ETHERTYPE_IPV4)
    return;
  uint8_t *ip = f + 14;
  uint32_t ihl = (ip[0] & 0xfu) * 4, total = pkt_be16(ip + 2);
  if (ihl < 20 || total < ihl || 14 + total > len)
    return;
  pkt_put16(ip + 10, 0);
  pkt_put16(ip + 10, pkt_csum(ip, ihl));
  uint8_t *l4 = ip + ihl;
  uint32_t n = total - ihl, off = pkt_l4_csum_offset(ip[9]);
  if (off == 0 || n < off + 2 || (pkt_be16(ip + 6) & 0x3fff))
    return;
  if (ip[9] == IP_PROTO_ICMP) {
    pkt_put16(l4 + 2, 0);
    pkt_put16(l4 + 2, pkt_csum(l4, n));
  } else {
    pkt_put16(l4 + off, pkt_l4_csum(ip + 12, ip + 16, ip[9], l4, n));
  }
}

/* A well-formed frame from record bytes d[0..n) (missing bytes read as 0). */
static uint32_t synth(uint8_t *f, const uint8_t *d, uint32_t n, bool uplink, uint32_t port)
{
  uint8_t b[12] = {0};
  memcpy(b, d, n < sizeof b ? n : sizeof b);
  static const uint8_t protos[3] = {IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP};
  static const uint8_t REMOTE[4] = {198, 51, 100, 7}, HOP[4] = {203, 0, 113, 1};
  static const uint16_t uplink_ports[4] = {8080, 40000, 22, CT_PORT_LO};
  struct tf_spec s = {.proto = protos[b[0] % 3], .sport = (uint16_t)(b[1] << 8 | b[2]),
                      .dport = (uint16_t)(b[3] << 8 | b[4]), .tcp_flags = b[6],
                      .icmp_type = (uint8_t)(b[7] % 12), .payload_len = b[8] % 64,
                      .opt_words = b[9] % 3, .frag = b[10] & 1 ? 0x2000 : 0, .ttl = b[11] % 4,
                      .udp_no_csum = b[10] & 2};
  if (!uplink) {
    const struct router_container *c = &cfg.containers[port < 3 ? port : 0];
    s.dmac = BRIDGE_MAC, s.smac = c->mac, s.src = c->ip;
    s.dst = b[5] & 1 ? REMOTE : b[5] & 2 ? cfg.bridge_ip : HOP;
    return tf_build(f, &s);
  }
  s.dmac = UP_MAC, s.smac = GW_MAC, s.dst = UP_IP, s.src = REMOTE;
  s.dport = uplink_ports[b[4] & 3];
  const uint8_t *ip = last_up + 14, *l4 = ip + (ip[0] & 0xf) * 4;
  if ((b[5] & 3) && last_up_len >= 14 + 28) {
    if (b[5] & 2)
      return tf_icmp_error(f, &(struct tf_spec){.dmac = UP_MAC, .smac = GW_MAC, .src = HOP, .dst = UP_IP},
                           b[7] & 1 ? ICMP_DEST_UNREACH : ICMP_TIME_EXCEEDED, 0, ip,
                           b[8] & 1 ? 28 : pkt_be16(ip + 2));
    s.proto = ip[9];
    s.src = ip + 16;
    s.sport = ip[9] == IP_PROTO_ICMP ? pkt_be16(l4 + 4) : pkt_be16(l4 + 2);
    s.dport = pkt_be16(l4);
    s.icmp_type = ICMP_ECHO_REPLY;
  }
  return tf_build(f, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  configure();
  last_up_len = 0;
  static uint8_t f[ETH_MAX_FRAME + 8];
  uint64_t now = 0;
  size_t at = 0;
  while (at + 2 <= size) {
    uint8_t op = data[at], n8 = data[at + 1];
    at += 2;
    uint32_t want = (op & 3) < 2 ? (uint32_t)n8 * 8 : n8 % 8;
    uint32_t len = (uint32_t)(size - at < want ? size - at : want);
    if (len > sizeof f)
      len = sizeof f;
    memcpy(f, data + at, len);
    at += len;
    uint32_t port = (op >> 2) & 3;
    switch (op & 3) {
    case 0:
      if (op & 0x40)
        len = synth(f, data + at - len, len, false, port);
      if ((op & 0x10) && len >= 34 && port < 3) {
        memcpy(f, BRIDGE_MAC, 6);
        memcpy(f + 6, cfg.containers[port].mac, 6);
        memcpy(f + 26, cfg.containers[port].ip, 4);
      }
      if (op & 0x20)
        fix_checksums(f, len);
      router_from_bridge(&r, port, f, len, now);
      break;
    case 1:
      if (op & 0x40)
        len = synth(f, data + at - len, len, true, port);
      if ((op & 0x10) && len >= 34) {
        memcpy(f, UP_MAC, 6);
        memcpy(f + 30, UP_IP, 4);
      }
      if (op & 0x20)
        fix_checksums(f, len);
      router_from_uplink(&r, f, len, now);
      break;
    case 2:
      for (uint32_t i = 0; i < len; i++)
        now += (uint64_t)f[i] * CT_SECOND;
      router_tick(&r, now);
      break;
    default:
      if (op & 4)
        router_set_gw_mac(&r, GW_MAC);
      else
        router_set_gw_mac(&r, (const uint8_t[6]){0});
      break;
    }
    uint32_t sum = 0;
    for (uint32_t i = 0; i < r.ct.n_owners; i++) {
      if (r.ct.owners[i].count > r.ct.share)
        abort();
      sum += r.ct.owners[i].count;
    }
    if (r.ct.used > CT_CAPACITY || sum != r.ct.used)
      abort();
  }
  return 0;
}
