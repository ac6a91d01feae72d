/* The bridge test rig (contract in bridge_rig.h). */
#include "bridge_rig.h"

#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "check.h"
#include "hv/err.h"
#include "hv/layout.h"

#define MIB (1024ull * 1024ull)
#define NET LAYOUT_VIRTIO_NET_BASE
#define RXRING 0x100000ull
#define TXRING 0x110000ull
#define TXBUF 0x200000ull
#define RXBUF 0x300000ull
#define QSZ 8
#define RX_POSTED 4

struct bridge rig_br;
struct rig_vm rig[RIG_NVM];
struct rig_d0 rig_d0;
const uint8_t rig_macs[RIG_NVM][6] = {{2, 0, 0, 0, 0, 0xa}, {2, 0, 0, 0, 0, 0xb}, {2, 0, 0, 0, 0, 0xc}};
const uint8_t rig_ips[RIG_NVM][4] = {{10, 20, 0, 10}, {10, 20, 0, 11}, {10, 20, 0, 12}};
const uint8_t rig_d0_mac[6] = {2, 0xd0, 0, 0, 0, 1};
const uint8_t rig_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const char *names[RIG_NVM] = {"a", "b", "c"};

void rig_on_d0(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len)
{
  CHECK(ctx == &rig_d0);
  rig_d0.count++, rig_d0.port = port, rig_d0.len = len;
  memcpy(rig_d0.frame, frame, len < sizeof rig_d0.frame ? len : sizeof rig_d0.frame);
  if (rig_d0.echo)
    CHECK(bridge_deliver(&rig_br, port, frame, len));
}

void rig_setup(const struct rate_cfg *tx0, const struct rate_cfg *rx0)
{
  fake_time_set(0);
  fake_events_clear();
  bridge_init(&rig_br);
  memset(&rig_d0, 0, sizeof rig_d0);
  for (int i = 0; i < RIG_NVM; i++) {
    struct rig_vm *x = &rig[i];
    struct vm_config cfg = {names[i], 30, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
    if (x->ram == NULL)
      x->ram = aligned_alloc(2 * MIB, 4 * MIB);
    memset(x->ram, 0, 4 * MIB);
    CHECK_EQ(vm_init(&x->vm, &cfg, x->ram, 4 * MIB), HV_OK);
    CHECK_EQ(vm_start(&x->vm, NULL), HV_OK);
    struct bridge_port_cfg pc = {.tx_limit = i == 0 ? tx0 : NULL, .rx_limit = i == 0 ? rx0 : NULL};
    memcpy(pc.mac, rig_macs[i], 6);
    memcpy(pc.ip4, rig_ips[i], 4);
    x->port = bridge_add_port(&rig_br, &x->net, &pc);
    CHECK(x->port != NULL);
    virtio_net_init(&x->net, &x->vm.env, rig_macs[i], NET, LAYOUT_VIRTIO_NET_GSI, bridge_tx, x->port);
    CHECK_EQ(virtio_mmio_attach(&x->net.t, &x->vm.mmio), HV_OK);
    CHECK(drv_negotiate(&x->vm, NET, VIRTIO_NET_F_MAC) & VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(drv_queue(&x->rx, &x->vm, NET, VIRTIO_NET_RXQ, QSZ, RXRING), 1);
    CHECK_EQ(drv_queue(&x->tx, &x->vm, NET, VIRTIO_NET_TXQ, QSZ, TXRING), 1);
    drv_driver_ok(&x->vm, NET);
    for (uint16_t d = 0; d < RX_POSTED; d++) {
      drv_desc(&x->rx, d, RXBUF + d * 0x1000ull, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
      drv_publish(&x->rx, d);
    }
    x->tx_head = 0;
  }
  CHECK(bridge_set_host(&rig_br, rig_d0_mac, rig_on_d0, &rig_d0));
}

void rig_ip_frame(uint8_t f[RIG_FRAME], const uint8_t dst[6], const uint8_t src[6],
                  const uint8_t sip[4], uint8_t tag)
{
  memset(f, 0, RIG_FRAME);
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = 0x08, f[13] = 0x00;
  f[14] = 0x45, f[17] = RIG_FRAME - 14, f[22] = 64, f[23] = 17;
  memcpy(f + 26, sip, 4);
  memcpy(f + 30, rig_ips[1], 4);
  f[34] = tag;
}

void rig_arp_frame(uint8_t f[RIG_FRAME], int i, const uint8_t tpa[4], uint8_t tag)
{
  memset(f, 0, RIG_FRAME);
  memcpy(f, rig_bcast, 6);
  memcpy(f + 6, rig_macs[i], 6);
  f[12] = 0x08, f[13] = 0x06;
  f[15] = 1, f[16] = 0x08, f[18] = 6, f[19] = 4, f[21] = 1; /* Ethernet, IPv4, request */
  memcpy(f + 22, rig_macs[i], 6);
  memcpy(f + 28, rig_ips[i], 4);
  f[34] = tag;
  memcpy(f + 38, tpa, 4);
}

void rig_post(int i, const uint8_t *f, uint32_t len)
{
  struct rig_vm *x = &rig[i];
  uint16_t d = (uint16_t)(x->tx_head % QSZ);
  uint8_t *b = gpa_ptr(&x->vm, TXBUF + d * 0x800ull);
  memset(b, 0, 12);
  memcpy(b + 12, f, len);
  drv_desc(&x->tx, d, TXBUF + d * 0x800ull, 12 + len, 0, 0);
  drv_publish(&x->tx, d);
  x->tx_head++;
}

void rig_send_raw(int i, const uint8_t *f, uint32_t len)
{
  rig_post(i, f, len);
  drv_notify(&rig[i].tx);
}

void rig_send(int i, const uint8_t dst[6], uint8_t tag)
{
  uint8_t f[RIG_FRAME];
  rig_ip_frame(f, dst, rig_macs[i], rig_ips[i], tag);
  rig_send_raw(i, f, RIG_FRAME);
}

int rig_received(int i)
{
  uint32_t id, len;
  if (!drv_used(&rig[i].rx, &id, &len))
    return -1;
  CHECK_EQ(len, 12 + RIG_FRAME);
  const uint8_t *b = gpa_ptr(&rig[i].vm, RXBUF + id * 0x1000ull);
  return b[12 + 34];
}

int rig_tx_done(int i)
{
  uint32_t id, len;
  int n = 0;
  while (drv_used(&rig[i].tx, &id, &len))
    n++;
  return n;
}

const struct net_counters *rig_cnt(int i) { return &rig[i].port->counters; }
