/* D0's router between the bridge and the uplink (contract in router.h). */
#include "net/router.h"

#include "d0/lib.h"

#define REPLY_TTL 64
#define ICMP_ERR_QUOTE 8 /* bytes of the offending datagram's payload an ICMP error must quote */

static const uint8_t BROADCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

const char *router_init(struct router *r, const struct router_cfg *cfg)
{
  memset(r, 0, sizeof(*r));
  if (cfg->to_port == 0 || cfg->to_uplink == 0)
    return "router: to_port and to_uplink are required";
  if (cfg->n_containers > ROUTER_MAX_CONTAINERS)
    return "router: more containers than ROUTER_MAX_CONTAINERS";
  if (!pkt_unicast_mac(cfg->bridge_mac) || cfg->bridge_prefix < 1 || cfg->bridge_prefix > 30)
    return "router: bridge MAC not unicast or bridge prefix not 1..30";
  if (cfg->uplink && !pkt_unicast_mac(cfg->uplink_mac))
    return "router: uplink MAC not unicast";
  for (uint32_t i = 0; i < cfg->n_containers; i++) {
    const struct router_container *c = &cfg->containers[i];
    if (!pkt_unicast_mac(c->mac) || memcmp(c->mac, cfg->bridge_mac, ETH_ALEN) == 0)
      return "router: a container MAC is not unicast or is D0's bridge MAC";
    if (!pkt_ip4_in_net(c->ip, cfg->bridge_ip, cfg->bridge_prefix) ||
        memcmp(c->ip, cfg->bridge_ip, 4) == 0)
      return "router: a container IP is outside the bridge subnet or is the gateway's";
    if (c->n_publish > ROUTER_MAX_PUBLISH || c->egress.n_rules > POLICY_MAX_RULES)
      return "router: too many published ports or egress rules for a container";
    for (uint32_t j = 0; j < i; j++)
      if (cfg->containers[j].port == c->port || memcmp(cfg->containers[j].ip, c->ip, 4) == 0)
        return "router: two containers share a bridge port or an IP";
    for (uint32_t k = 0; k < c->n_publish; k++) {
      const struct router_publish *p = &c->publish[k];
      if ((p->proto != IP_PROTO_TCP && p->proto != IP_PROTO_UDP) || p->uplink_port == 0 ||
          p->container_port == 0)
        return "router: a published port is not tcp/udp with ports 1..65535";
      for (uint32_t j = 0; j <= i; j++) {
        const struct router_container *o = &cfg->containers[j];
        for (uint32_t m = 0; m < (j == i ? k : o->n_publish); m++)
          if (o->publish[m].proto == p->proto && o->publish[m].uplink_port == p->uplink_port)
            return "router: an uplink port is published twice";
      }
    }
  }
  r->cfg = *cfg;
  ct_init(&r->ct, cfg->n_containers ? cfg->n_containers : 1, cfg->seed);
  for (uint32_t i = 0; i < cfg->n_containers; i++)
    for (uint32_t k = 0; k < cfg->containers[i].n_publish; k++)
      ct_reserve_port(&r->ct, cfg->containers[i].publish[k].proto,
                      cfg->containers[i].publish[k].uplink_port);
  return 0;
}

void router_set_gw_mac(struct router *r, const uint8_t mac[ETH_ALEN])
{
  memcpy(r->gw_mac, mac, ETH_ALEN);
  r->gw_known = pkt_unicast_mac(mac);
}

bool router_uplink_up(struct router *r, const uint8_t uplink_mac[ETH_ALEN],
                      const uint8_t gw_mac[ETH_ALEN])
{
  if (!pkt_unicast_mac(uplink_mac) || !pkt_unicast_mac(gw_mac))
    return false;
  memcpy(r->cfg.uplink_mac, uplink_mac, ETH_ALEN);
  r->cfg.uplink = true;
  router_set_gw_mac(r, gw_mac);
  return true;
}

uint32_t router_nat_in_use(const struct router *r) { return r->ct.used; }

void router_tick(struct router *r, uint64_t now_ns) { ct_expire(&r->ct, now_ns); }

static struct net_counters *counters_of(const struct router *r, uint16_t ci)
{
  return ci < r->cfg.n_containers ? r->cfg.containers[ci].counters : r->cfg.uplink_counters;
}

#define NO_CONTAINER 0xffff

static void drop(struct router *r, uint16_t ci, enum net_drop why)
{
  net_count_drop(counters_of(r, ci), why);
}

static void eth_header(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
  memcpy(f, dst, ETH_ALEN);
  memcpy(f + ETH_ALEN, src, ETH_ALEN);
}

/* The length to send for an IPv4 packet of `total` bytes in r->buf: zero padding to 60. */
static uint32_t frame_len(struct router *r, uint32_t total)
{
  uint32_t n = ETH_HDR + total;
  if (n < ETH_MIN_FRAME) {
    memset(r->buf + n, 0, ETH_MIN_FRAME - n);
    n = ETH_MIN_FRAME;
  }
  return n;
}

/* ---- D0's own answers on the bridge ---- */

static void arp_from_bridge(struct router *r, const struct router_container *c, uint16_t ci,
                            const uint8_t *frame, uint32_t len)
{
  const uint8_t *arp = pkt_arp(frame, len);
  if (arp == 0) {
    drop(r, ci, NET_DROP_MALFORMED);
    return;
  }
  if (pkt_be16(arp + PKT_ARP_OP) != ARP_REQUEST || memcmp(arp + PKT_ARP_TPA, r->cfg.bridge_ip, 4) != 0) {
    r->stats.ignored++;
    return;
  }
  uint8_t *f = r->buf;
  memset(f, 0, ETH_MIN_FRAME);
  eth_header(f, c->mac, r->cfg.bridge_mac);
  pkt_put16(f + 12, ETHERTYPE_ARP);
  uint8_t *p = f + ETH_HDR;
  pkt_put16(p, 1);
  pkt_put16(p + 2, ETHERTYPE_IPV4);
  p[4] = ETH_ALEN, p[5] = 4;
  pkt_put16(p + PKT_ARP_OP, ARP_REPLY);
  memcpy(p + PKT_ARP_SHA, r->cfg.bridge_mac, ETH_ALEN);
  memcpy(p + PKT_ARP_SPA, r->cfg.bridge_ip, 4);
  memcpy(p + PKT_ARP_THA, c->mac, ETH_ALEN);
  memcpy(p + PKT_ARP_TPA, arp + PKT_ARP_SPA, 4);
  r->stats.arp_replies++;
  r->cfg.to_port(r->cfg.ctx, c->port, f, ETH_MIN_FRAME);
}

/* An ICMP echo request to the gateway address (checked whole, in r->buf): the reply, without
 * the request's IP options. */
static void echo_from_bridge(struct router *r, const struct router_container *c, struct pkt_ip4 *ip)
{
  if (ip->proto != IP_PROTO_ICMP || ip->l4[0] != ICMP_ECHO_REQUEST || ip->l4[1] != 0) {
    r->stats.ignored++;
    return;
  }
  uint8_t *h = r->buf + ETH_HDR;
  uint32_t n = ip->l4_len;
  memmove(h + IP4_MIN_HDR, ip->l4, n);
  uint8_t *icmp = h + IP4_MIN_HDR;
  h[0] = 0x45;
  h[1] = 0;
  pkt_put16(h + 2, (uint16_t)(IP4_MIN_HDR + n));
  pkt_put16(h + 6, 0);
  h[8] = REPLY_TTL;
  h[9] = IP_PROTO_ICMP;
  memcpy(h + PKT_IP4_SRC, r->cfg.bridge_ip, 4);
  memcpy(h + PKT_IP4_DST, c->ip, 4);
  pkt_put16(h + 10, 0);
  pkt_put16(h + 10, pkt_csum(h, IP4_MIN_HDR));
  uint16_t old = pkt_be16(icmp);
  icmp[0] = ICMP_ECHO_REPLY;
  pkt_csum_update16(icmp + 2, old, pkt_be16(icmp));
  eth_header(r->buf, c->mac, r->cfg.bridge_mac);
  r->stats.echo_replies++;
  r->cfg.to_port(r->cfg.ctx, c->port, r->buf, frame_len(r, IP4_MIN_HDR + n));
}

/* ---- flows ---- */

/*
 * Whether addr may be the far end of a flow through the uplink: a unicast address that is not
 * "this network" (0/8), loopback (127/8), link-local (169.254/16), multicast or reserved
 * (224/3 and above), on the bridge, or D0's own uplink address (no hairpin: containers reach
 * each other over the bridge). Checked for the destination of what a container sends and the
 * source of what arrives, so no entry ever names such a peer.
 */
static bool remote_ok(const struct router *r, const uint8_t addr[4])
{
  if (addr[0] == 0 || addr[0] == 127 || addr[0] >= 224 || (addr[0] == 169 && addr[1] == 254))
    return false;
  return !pkt_ip4_in_net(addr, r->cfg.bridge_ip, r->cfg.bridge_prefix) &&
         memcmp(addr, r->cfg.uplink_ip, 4) != 0;
}

/* The flow tuple of a checked, unfragmented packet as seen from one side: the ports (or echo
 * id) of TCP/UDP/ICMP echo. False for anything that is not a flow (other protocols and ICMP
 * types). `local` is the side whose port is the container's (or D0's) own. */
static bool l4_ports(const struct pkt_ip4 *ip, bool from_inside, uint16_t *local, uint16_t *remote,
                     uint8_t *tcp_flags)
{
  *tcp_flags = 0;
  switch (ip->proto) {
  case IP_PROTO_TCP:
    *tcp_flags = ip->l4[13];
    /* fallthrough */
  case IP_PROTO_UDP:
    *local = pkt_be16(ip->l4 + (from_inside ? 0 : 2));
    *remote = pkt_be16(ip->l4 + (from_inside ? 2 : 0));
    return true;
  case IP_PROTO_ICMP:
    if (ip->l4[1] != 0 || ip->l4[0] != (from_inside ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY))
      return false;
    *local = pkt_be16(ip->l4 + 4);
    *remote = 0;
    return true;
  default:
    return false;
  }
}

/* Where a flow's own port lies in the L4 header: TCP/UDP source (0) or destination (2), ICMP
 * echo id (4). */
static uint32_t port_offset(uint8_t proto, bool source)
{
  return proto == IP_PROTO_ICMP ? 4 : source ? 0 : 2;
}

static bool tcp_opens(uint8_t flags) { return (flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN; }

/* An IPv4 packet from container ci to the bridge MAC, checked, in r->buf. */
static void ip4_from_bridge(struct router *r, uint16_t ci, struct pkt_ip4 *ip, uint64_t now_ns)
{
  const struct router_container *c = &r->cfg.containers[ci];
  const uint8_t *dst = ip->hdr + PKT_IP4_DST;
  /* The bridge's anti-spoofing let only the container's own source through; checked again
   * because every flow entry and reply rests on it. */
  if (memcmp(ip->hdr + PKT_IP4_SRC, c->ip, 4) != 0) {
    drop(r, ci, NET_DROP_SPOOF);
    return;
  }
  if (memcmp(dst, r->cfg.bridge_ip, 4) == 0) {
    echo_from_bridge(r, c, ip);
    return;
  }
  if (!remote_ok(r, dst) || !r->cfg.uplink || !r->gw_known || ip->hdr[8] <= 1) {
    drop(r, ci, NET_DROP_NO_ROUTE);
    return;
  }
  struct ct_tuple t = {.proto = ip->proto};
  uint8_t flags;
  if (!l4_ports(ip, true, &t.in_port, &t.rem_port, &flags)) {
    drop(r, ci, NET_DROP_NO_ROUTE);
    return;
  }
  memcpy(t.in_ip, ip->hdr + PKT_IP4_SRC, 4);
  memcpy(t.rem_ip, dst, 4);
  uint16_t idx = ct_lookup_in(&r->ct, &t, now_ns);
  if (idx == CT_NONE) {
    if (!r->cfg.egress_nat || (ip->proto == IP_PROTO_TCP && !tcp_opens(flags))) {
      drop(r, ci, NET_DROP_NO_ROUTE);
      return;
    }
    if (!policy_allows(&c->egress, dst, ip->proto, t.rem_port)) {
      drop(r, ci, NET_DROP_POLICY);
      return;
    }
    if (ct_create(&r->ct, ci, &t, false, now_ns, &idx) != CT_OK) {
      drop(r, ci, NET_DROP_CONNTRACK_FULL);
      return;
    }
    r->stats.snat_flows++;
  } else if (r->ct.e[idx].owner != ci) {
    drop(r, ci, NET_DROP_NO_ROUTE); /* unreachable: the tuple holds the container's own IP */
    return;
  }
  ct_touch(&r->ct, idx, CT_FROM_INSIDE, flags, now_ns);
  pkt_ip4_set_addr(ip, PKT_IP4_SRC, r->cfg.uplink_ip);
  pkt_l4_set16(ip, port_offset(ip->proto, true), r->ct.e[idx].t.out_port);
  pkt_ip4_dec_ttl(ip);
  eth_header(r->buf, r->gw_mac, r->cfg.uplink_mac);
  r->stats.to_uplink++;
  r->cfg.to_uplink(r->cfg.ctx, r->buf, frame_len(r, ip->total));
}

void router_from_bridge(struct router *r, uint32_t port, const uint8_t *frame, uint32_t len,
                        uint64_t now_ns)
{
  uint16_t ci = NO_CONTAINER;
  for (uint32_t i = 0; i < r->cfg.n_containers; i++)
    if (r->cfg.containers[i].port == port)
      ci = (uint16_t)i;
  if (ci == NO_CONTAINER) {
    r->stats.ignored++;
    return;
  }
  if (frame == 0 || len < ETH_HDR || len > ETH_MAX_FRAME) {
    drop(r, ci, NET_DROP_MALFORMED);
    return;
  }
  bool to_us = memcmp(frame, r->cfg.bridge_mac, ETH_ALEN) == 0;
  bool bcast = memcmp(frame, BROADCAST, ETH_ALEN) == 0;
  uint16_t type = pkt_be16(frame + 12);
  if (type == ETHERTYPE_ARP && (to_us || bcast)) {
    arp_from_bridge(r, &r->cfg.containers[ci], ci, frame, len);
    return;
  }
  if (type != ETHERTYPE_IPV4 || !to_us) {
    r->stats.ignored++; /* broadcasts for the other VMs, which the bridge floods */
    return;
  }
  memcpy(r->buf, frame, len);
  struct pkt_ip4 ip;
  switch (pkt_ip4_parse(r->buf, len, &ip)) {
  case PKT_OK: ip4_from_bridge(r, ci, &ip, now_ns); return;
  case PKT_FRAGMENT: drop(r, ci, NET_DROP_FRAGMENT); return;
  default: drop(r, ci, NET_DROP_MALFORMED); return;
  }
}

/* ---- from the uplink ---- */

/* Packet ip of tracked flow idx, from the outside, to its container. */
static void forward_in(struct router *r, struct pkt_ip4 *ip, uint16_t idx, uint8_t flags, uint64_t now_ns)
{
  const struct ct_entry *e = &r->ct.e[idx];
  const struct router_container *c = &r->cfg.containers[e->owner];
  ct_touch(&r->ct, idx, CT_FROM_OUTSIDE, flags, now_ns);
  pkt_ip4_set_addr(ip, PKT_IP4_DST, c->ip);
  pkt_l4_set16(ip, port_offset(ip->proto, false), e->t.in_port);
  pkt_ip4_dec_ttl(ip);
  eth_header(r->buf, c->mac, r->cfg.bridge_mac);
  r->stats.to_containers++;
  r->cfg.to_port(r->cfg.ctx, c->port, r->buf, frame_len(r, ip->total));
}

/* A new flow to a published port: its entry, or CT_NONE (dropped, counted). */
static uint16_t published(struct router *r, const struct ct_tuple *out, uint8_t flags, uint64_t now_ns)
{
  for (uint32_t i = 0; i < r->cfg.n_containers; i++) {
    const struct router_container *c = &r->cfg.containers[i];
    for (uint32_t k = 0; k < c->n_publish; k++) {
      const struct router_publish *p = &c->publish[k];
      if (p->proto != out->proto || p->uplink_port != out->out_port)
        continue;
      if (out->proto == IP_PROTO_TCP && !tcp_opens(flags))
        return drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE), CT_NONE;
      struct ct_tuple t = *out;
      memcpy(t.in_ip, c->ip, 4);
      t.in_port = p->container_port;
      uint16_t idx;
      /* The same five-tuple already opened from inside (the container connected from its
       * published port to this very peer): one flow cannot be both. */
      if (ct_lookup_in(&r->ct, &t, now_ns) != CT_NONE)
        return drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE), CT_NONE;
      if (ct_create(&r->ct, (uint16_t)i, &t, true, now_ns, &idx) != CT_OK)
        return drop(r, (uint16_t)i, NET_DROP_CONNTRACK_FULL), CT_NONE;
      r->stats.dnat_flows++;
      return idx;
    }
  }
  drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
  return CT_NONE;
}

/*
 * An ICMP destination unreachable or time exceeded (checked, in r->buf) quoting a packet D0 sent
 * for a tracked flow: the quoted packet's source becomes the container's address and port (its
 * IP checksum and, where quoted, its L4 checksum updated), the outer destination the container,
 * and the ICMP checksum is recomputed over the message (verified on input).
 */
static void icmp_error_in(struct router *r, struct pkt_ip4 *ip, uint64_t now_ns)
{
  uint8_t *q = ip->l4 + ICMP_HDR;
  uint32_t qlen = ip->l4_len - ICMP_HDR;
  if (qlen < IP4_MIN_HDR) {
    drop(r, NO_CONTAINER, NET_DROP_MALFORMED);
    return;
  }
  uint32_t qihl = (uint32_t)(q[0] & 0xf) * 4;
  if (q[0] >> 4 != 4 || qihl < IP4_MIN_HDR || qlen < qihl + ICMP_ERR_QUOTE) {
    drop(r, NO_CONTAINER, NET_DROP_MALFORMED);
    return;
  }
  uint8_t *ql4 = q + qihl;
  uint32_t ql4_len = qlen - qihl;
  struct ct_tuple t = {.proto = q[9]};
  memcpy(t.rem_ip, q + PKT_IP4_DST, 4);
  bool quoted_first = (pkt_be16(q + 6) & IP4_FRAG_OFF) == 0;
  if (!quoted_first || memcmp(q + PKT_IP4_SRC, r->cfg.uplink_ip, 4) != 0) {
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
    return;
  }
  if (t.proto == IP_PROTO_TCP || t.proto == IP_PROTO_UDP) {
    t.out_port = pkt_be16(ql4);
    t.rem_port = pkt_be16(ql4 + 2);
  } else if (t.proto == IP_PROTO_ICMP && ql4[0] == ICMP_ECHO_REQUEST) {
    t.out_port = pkt_be16(ql4 + 4);
  } else {
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
    return;
  }
  uint16_t idx = ct_lookup_out(&r->ct, &t, now_ns);
  if (idx == CT_NONE) {
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
    return;
  }
  const struct ct_entry *e = &r->ct.e[idx];
  const struct router_container *c = &r->cfg.containers[e->owner];
  /* The quoted L4 checksum is updated only when the quote holds it (a TCP quote of 8 bytes
   * does not); UDP's 0 stays 0. */
  uint32_t coff = pkt_l4_csum_offset(t.proto);
  uint8_t *qcsum = coff + 2 <= ql4_len ? ql4 + coff : 0;
  bool pseudo = t.proto != IP_PROTO_ICMP, udp_none = t.proto == IP_PROTO_UDP && qcsum && pkt_be16(qcsum) == 0;
  if (qcsum && !udp_none) {
    if (pseudo)
      pkt_csum_update32(qcsum, q + PKT_IP4_SRC, c->ip);
    uint32_t poff = port_offset(t.proto, true);
    pkt_csum_update16(qcsum, pkt_be16(ql4 + poff), e->t.in_port);
    if (t.proto == IP_PROTO_UDP && pkt_be16(qcsum) == 0)
      pkt_put16(qcsum, 0xffff);
  }
  pkt_put16(ql4 + port_offset(t.proto, true), e->t.in_port);
  pkt_csum_update32(q + 10, q + PKT_IP4_SRC, c->ip);
  memcpy(q + PKT_IP4_SRC, c->ip, 4);
  pkt_ip4_set_addr(ip, PKT_IP4_DST, c->ip);
  pkt_put16(ip->l4 + 2, 0);
  pkt_put16(ip->l4 + 2, pkt_csum(ip->l4, ip->l4_len));
  pkt_ip4_dec_ttl(ip);
  eth_header(r->buf, c->mac, r->cfg.bridge_mac);
  r->stats.icmp_errors++;
  r->cfg.to_port(r->cfg.ctx, c->port, r->buf, frame_len(r, ip->total));
}

static void ip4_from_uplink(struct router *r, struct pkt_ip4 *ip, uint64_t now_ns)
{
  /* D0 routes for nobody on the uplink, and takes nothing from a martian source. */
  if (memcmp(ip->hdr + PKT_IP4_DST, r->cfg.uplink_ip, 4) != 0 || !remote_ok(r, ip->hdr + PKT_IP4_SRC) ||
      ip->hdr[8] <= 1) {
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
    return;
  }
  if (ip->proto == IP_PROTO_ICMP &&
      (ip->l4[0] == ICMP_DEST_UNREACH || ip->l4[0] == ICMP_TIME_EXCEEDED)) {
    icmp_error_in(r, ip, now_ns);
    return;
  }
  struct ct_tuple t = {.proto = ip->proto};
  uint8_t flags;
  if (!l4_ports(ip, false, &t.out_port, &t.rem_port, &flags)) {
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
    return;
  }
  memcpy(t.rem_ip, ip->hdr + PKT_IP4_SRC, 4);
  uint16_t idx = ct_lookup_out(&r->ct, &t, now_ns);
  if (idx == CT_NONE && ip->proto != IP_PROTO_ICMP)
    idx = published(r, &t, flags, now_ns);
  else if (idx == CT_NONE)
    drop(r, NO_CONTAINER, NET_DROP_NO_ROUTE);
  if (idx != CT_NONE)
    forward_in(r, ip, idx, flags, now_ns);
}

void router_from_uplink(struct router *r, const uint8_t *frame, uint32_t len, uint64_t now_ns)
{
  if (frame == 0 || len < ETH_HDR || len > ETH_MAX_FRAME) {
    drop(r, NO_CONTAINER, NET_DROP_MALFORMED);
    return;
  }
  if (!r->cfg.uplink || pkt_be16(frame + 12) != ETHERTYPE_IPV4 ||
      memcmp(frame, r->cfg.uplink_mac, ETH_ALEN) != 0) {
    r->stats.ignored++; /* other hosts' traffic and broadcasts on the uplink's segment */
    return;
  }
  memcpy(r->buf, frame, len);
  struct pkt_ip4 ip;
  switch (pkt_ip4_parse(r->buf, len, &ip)) {
  case PKT_OK: ip4_from_uplink(r, &ip, now_ns); return;
  case PKT_FRAGMENT: drop(r, NO_CONTAINER, NET_DROP_FRAGMENT); return;
  default: drop(r, NO_CONTAINER, NET_DROP_MALFORMED); return;
  }
}
