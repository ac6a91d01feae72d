/* The static L2 bridge with its guard, rate limits and D0's port (contract in bridge.h). */
#include "dev/virtio/bridge.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "net/pkt.h"

static bool mac_eq(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 6) == 0; }

static bool mac_multicast(const uint8_t *m) { return (m[0] & 1) != 0; }

static bool mac_zero(const uint8_t *m)
{
  static const uint8_t zero[6];
  return mac_eq(m, zero);
}

/* A usable station address on this bridge: unicast, not zero, not another member's. */
static bool mac_free(const struct bridge *br, const uint8_t *mac)
{
  if (mac_multicast(mac) || mac_zero(mac) || (br->has_host && mac_eq(br->host_mac, mac)))
    return false;
  for (uint32_t i = 0; i < br->n; i++)
    if (mac_eq(br->ports[i].addr.mac, mac))
      return false;
  return true;
}

void bridge_init(struct bridge *br) { memset(br, 0, sizeof *br); }

struct bridge_port *bridge_add_port(struct bridge *br, struct virtio_net *net,
                                    const struct bridge_port_cfg *cfg)
{
  static const uint8_t no_ip[4];
  if (br->n == BRIDGE_MAX_PORTS || net == NULL || cfg == NULL || !mac_free(br, cfg->mac) ||
      memcmp(cfg->ip4, no_ip, 4) == 0)
    return NULL;
  uint64_t now = arch_time_ns();
  struct bridge_port *p = &br->ports[br->n];
  memset(p, 0, sizeof *p);
  p->br = br;
  p->net = net;
  p->index = br->n++;
  memcpy(p->addr.mac, cfg->mac, 6);
  memcpy(p->addr.ip4, cfg->ip4, 4);
  p->has_tx_limit = cfg->tx_limit != NULL;
  if (p->has_tx_limit)
    rate_init(&p->tx_limit, cfg->tx_limit, now);
  p->has_rx_limit = cfg->rx_limit != NULL;
  if (p->has_rx_limit) {
    static const struct rate_cfg arp = {0, BRIDGE_RX_ARP_PER_S, 0};
    rate_init(&p->rx_limit, cfg->rx_limit, now);
    rate_init(&p->rx_arp, &arp, now);
  }
  p->up = true;
  return p;
}

bool bridge_set_host(struct bridge *br, const uint8_t mac[6], bridge_host_fn fn, void *ctx)
{
  if (fn == NULL)
    return false;
  bool had = br->has_host;
  br->has_host = false; /* D0 may move to another MAC: only the ports' MACs are in the way */
  if (!mac_free(br, mac)) {
    br->has_host = had;
    return false;
  }
  br->has_host = true;
  memcpy(br->host_mac, mac, 6);
  br->host_fn = fn;
  br->host_ctx = ctx;
  return true;
}

void bridge_port_down(struct bridge_port *port) { port->up = false; }

static bool is_arp(const uint8_t *frame, uint32_t len)
{
  return len >= ETH_HDR && pkt_be16(frame + 12) == ETHERTYPE_ARP;
}

/* One frame into port p's VM, under its rx limit (ARP under its own budget); counted on p. */
static bool deliver(struct bridge_port *p, const uint8_t *frame, uint32_t len, uint64_t now)
{
  if (p->has_rx_limit &&
      !rate_admit(is_arp(frame, len) ? &p->rx_arp : &p->rx_limit, now, len)) {
    net_count_drop(&p->counters, NET_DROP_RATE);
    return false;
  }
  /* The device counts its own drops (no buffer posted, frame too big) in net_drops. */
  if (virtio_net_rx(p->net, frame, len) != HV_OK)
    return false;
  p->counters.rx_packets++;
  p->counters.rx_bytes += len;
  return true;
}

static void forward(struct bridge_port *src, const uint8_t *frame, uint32_t len, uint64_t now)
{
  struct bridge *br = src->br;
  const uint8_t *dst_mac = frame;
  if (mac_multicast(dst_mac)) {
    for (uint32_t i = 0; i < br->n; i++) {
      struct bridge_port *p = &br->ports[i];
      if (p != src && p->up)
        (void)deliver(p, frame, len, now);
    }
    if (br->has_host)
      br->host_fn(br->host_ctx, src->index, frame, len);
    return;
  }
  if (br->has_host && mac_eq(dst_mac, br->host_mac)) {
    br->host_fn(br->host_ctx, src->index, frame, len);
    return;
  }
  for (uint32_t i = 0; i < br->n; i++) {
    struct bridge_port *p = &br->ports[i];
    if (p != src && p->up && mac_eq(p->addr.mac, dst_mac)) {
      (void)deliver(p, frame, len, now);
      return;
    }
  }
  net_count_drop(&src->counters, NET_DROP_NO_ROUTE); /* no such port, or its VM stopped */
}

bool bridge_tx(void *ctx, const uint8_t *frame, uint32_t len)
{
  struct bridge_port *src = ctx;
  if (!src->up)
    return true;
  uint64_t now = arch_time_ns();
  src->counters.tx_packets++;
  src->counters.tx_bytes += len;
  /* Every frame the VM sends is charged, dropped or not: a flood of spoofed frames is slowed
   * like any other. The device asked nothing before taking it: it stops once we say so. */
  if (src->has_tx_limit)
    rate_take(&src->tx_limit, len);
  enum net_drop why;
  if (guard_check(&src->addr, frame, len, &why))
    forward(src, frame, len, now);
  else
    net_count_drop(&src->counters, why);
  return !src->has_tx_limit || rate_ready(&src->tx_limit, now);
}

bool bridge_deliver(struct bridge *br, uint32_t port, const uint8_t *frame, uint32_t len)
{
  if (port >= br->n || !br->ports[port].up || frame == NULL || len < ETH_HDR_LEN)
    return false;
  return deliver(&br->ports[port], frame, len, arch_time_ns());
}

void bridge_poll(struct bridge *br, uint64_t now_ns)
{
  for (uint32_t i = 0; i < br->n; i++) {
    struct bridge_port *p = &br->ports[i];
    if (p->up && p->net->tx_throttled && (!p->has_tx_limit || rate_ready(&p->tx_limit, now_ns)))
      virtio_net_tx_resume(p->net);
    if (p->up)
      virtio_net_poll(p->net, now_ns);
  }
}
