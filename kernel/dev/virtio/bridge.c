#include "dev/virtio/bridge.h"

#include "d0/lib.h"

static bool mac_eq(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 6) == 0; }

static bool mac_multicast(const uint8_t *m) { return (m[0] & 1) != 0; }

static bool mac_zero(const uint8_t *m)
{
  static const uint8_t zero[6];
  return mac_eq(m, zero);
}

void bridge_init(struct bridge *br) { memset(br, 0, sizeof *br); }

struct bridge_port *bridge_add_port(struct bridge *br, struct virtio_net *net,
                                    const uint8_t mac[6])
{
  if (br->n == BRIDGE_MAX_PORTS || net == NULL || mac_multicast(mac) || mac_zero(mac))
    return NULL;
  for (uint32_t i = 0; i < br->n; i++)
    if (mac_eq(br->ports[i].mac, mac))
      return NULL;
  struct bridge_port *p = &br->ports[br->n++];
  memset(p, 0, sizeof *p);
  p->br = br;
  p->net = net;
  memcpy(p->mac, mac, 6);
  p->up = true;
  return p;
}

void bridge_port_down(struct bridge_port *port) { port->up = false; }

void bridge_tx(void *ctx, const uint8_t *frame, uint32_t len)
{
  struct bridge_port *src = ctx;
  struct bridge *br = src->br;
  if (!src->up)
    return;
  if (len < ETH_HDR_LEN) {
    src->tx_unknown++;
    return;
  }
  const uint8_t *dst_mac = frame, *src_mac = frame + 6;
  if (!mac_eq(src_mac, src->mac)) {
    src->tx_spoofed++;
    return;
  }
  bool flood = mac_multicast(dst_mac), delivered = false;
  for (uint32_t i = 0; i < br->n; i++) {
    struct bridge_port *p = &br->ports[i];
    if (p == src || !p->up || (!flood && !mac_eq(p->mac, dst_mac)))
      continue;
    /* The receiving device counts its own drops (no buffer posted, frame too big). */
    (void)virtio_net_rx(p->net, frame, len);
    delivered = true;
    if (!flood)
      break;
  }
  if (delivered)
    src->tx_forwarded++;
  else if (!flood)
    src->tx_unknown++;
}
