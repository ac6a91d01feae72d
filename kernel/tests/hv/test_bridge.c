/* The static L2 bridge (dev/virtio/bridge.c) between three VMs' virtio-net devices, each driven
 * by the test guest driver through its VM's real exit dispatch. */
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/virtio/bridge.h"
#include "dev/virtio/virtio_net.h"
#include "guest_drv.h"
#include "hv/err.h"
#include "hv/layout.h"
#include "check.h"

#define MIB (1024ull * 1024ull)
#define NET LAYOUT_VIRTIO_NET_BASE
#define RXRING 0x100000ull
#define TXRING 0x110000ull
#define TXBUF 0x200000ull
#define RXBUF 0x300000ull
#define QSZ 8
#define NVM 3

struct host {
  struct vm vm;
  uint8_t *ram;
  struct virtio_net net;
  struct bridge_port *port;
  struct drv_q rx, tx;
  uint16_t rx_posted, tx_head;
};

static struct bridge br;
static struct host h[NVM];
static const uint8_t macs[NVM][6] = {{2, 0, 0, 0, 0, 0xa}, {2, 0, 0, 0, 0, 0xb}, {2, 0, 0, 0, 0, 0xc}};
static const char *names[NVM] = {"a", "b", "c"};

/* Each VM gets eth0 up with RX buffers posted; every port on one bridge. */
static void setup(void)
{
  fake_time_set(0);
  fake_events_clear();
  bridge_init(&br);
  for (int i = 0; i < NVM; i++) {
    struct host *x = &h[i];
    struct vm_config cfg = {names[i], 30, VM_HEALTH_READY, NULL, 0, NULL, NULL};
    if (x->ram == NULL)
      x->ram = aligned_alloc(2 * MIB, 4 * MIB);
    memset(x->ram, 0, 4 * MIB);
    CHECK_EQ(vm_init(&x->vm, &cfg, x->ram, 4 * MIB), HV_OK);
    CHECK_EQ(vm_start(&x->vm, NULL), HV_OK);
    x->port = bridge_add_port(&br, &x->net, macs[i]);
    CHECK(x->port != NULL);
    virtio_net_init(&x->net, &x->vm.env, macs[i], NET, LAYOUT_VIRTIO_NET_GSI, bridge_tx, x->port);
    CHECK_EQ(virtio_mmio_attach(&x->net.t, &x->vm.mmio), HV_OK);
    CHECK(drv_negotiate(&x->vm, NET, VIRTIO_NET_F_MAC) & VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(drv_queue(&x->rx, &x->vm, NET, VIRTIO_NET_RXQ, QSZ, RXRING), 1);
    CHECK_EQ(drv_queue(&x->tx, &x->vm, NET, VIRTIO_NET_TXQ, QSZ, TXRING), 1);
    drv_driver_ok(&x->vm, NET);
    for (uint16_t d = 0; d < 4; d++) {
      drv_desc(&x->rx, d, RXBUF + d * 0x1000ull, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
      drv_publish(&x->rx, d);
    }
    x->tx_head = 0;
  }
}

/* Guest i sends an Ethernet frame dst <- src with a one-byte payload tag. */
static void send(int i, const uint8_t dst[6], const uint8_t src[6], uint8_t tag)
{
  struct host *x = &h[i];
  uint8_t *b = gpa_ptr(&x->vm, TXBUF);
  memset(b, 0, 12 + 60);
  memcpy(b + 12, dst, 6);
  memcpy(b + 18, src, 6);
  b[24] = 0x08, b[25] = 0x00;
  b[26] = tag;
  uint16_t d = (uint16_t)(x->tx_head % QSZ);
  drv_desc(&x->tx, d, TXBUF, 12 + 60, 0, 0);
  drv_publish(&x->tx, d);
  drv_notify(&x->tx);
  x->tx_head++;
}

/* The tag of the next frame VM i received, or -1 when nothing arrived. */
static int received(int i)
{
  uint32_t id, len;
  if (!drv_used(&h[i].rx, &id, &len))
    return -1;
  CHECK_EQ(len, 12 + 60);
  const uint8_t *b = gpa_ptr(&h[i].vm, RXBUF + id * 0x1000ull);
  return b[12 + 14];
}

static void test_unicast_reaches_only_its_port(void)
{
  setup();
  send(0, macs[1], macs[0], 0x11);
  CHECK_EQ(received(1), 0x11);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(received(2), -1);
  CHECK_EQ(received(0), -1);
  CHECK_EQ(h[0].port->tx_forwarded, 1);
  CHECK_EQ(h[1].vm.stats.net_rx_frames, 1);
  CHECK(h[1].vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]); /* the receiver is interrupted */
}

static void test_broadcast_floods_other_ports(void)
{
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t v6mcast[6] = {0x33, 0x33, 0, 0, 0, 1};
  setup();
  send(2, bcast, macs[2], 0x22);
  CHECK_EQ(received(0), 0x22);
  CHECK_EQ(received(1), 0x22);
  CHECK_EQ(received(2), -1); /* never back to the sender */
  send(0, v6mcast, macs[0], 0x23);
  CHECK_EQ(received(1), 0x23);
  CHECK_EQ(received(2), 0x23);
}

static void test_spoofed_and_unknown_frames_dropped(void)
{
  static const uint8_t stranger[6] = {2, 0, 0, 0, 0, 0x77};
  setup();
  send(0, macs[1], macs[2], 0x31); /* a poses as c */
  CHECK_EQ(received(1), -1);
  CHECK_EQ(h[0].port->tx_spoofed, 1);
  send(0, stranger, macs[0], 0x32);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(received(2), -1);
  CHECK_EQ(h[0].port->tx_unknown, 1);
  CHECK_EQ(h[0].port->tx_forwarded, 0);
  /* A runt (shorter than an Ethernet header) never reaches the forwarding table. */
  bridge_tx(h[0].port, macs[1], 6);
  CHECK_EQ(h[0].port->tx_unknown, 2);
  CHECK_EQ(received(1), -1);
}

static void test_port_down_isolates_stopped_vm(void)
{
  setup();
  bridge_port_down(h[1].port);
  send(0, macs[1], macs[0], 0x41);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(h[0].port->tx_unknown, 1);
  /* A down port's own frames go nowhere either. */
  bridge_tx(h[1].port, (const uint8_t[14]){2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb, 8, 0}, 14);
  CHECK_EQ(received(0), -1);
}

static void test_receiver_without_buffers_drops(void)
{
  setup();
  for (int n = 0; n < 4; n++)
    send(0, macs[1], macs[0], (uint8_t)n);
  send(0, macs[1], macs[0], 0x55); /* b's four buffers are used up */
  CHECK_EQ(h[1].vm.stats.net_rx_frames, 4);
  CHECK_EQ(h[1].vm.stats.net_drops, 1);
  CHECK_EQ(h[1].vm.state, VM_RUNNING);
}

static void test_add_port_refusals(void)
{
  static const uint8_t mcast[6] = {3, 0, 0, 0, 0, 1}, zero[6] = {0};
  struct virtio_net extra;
  setup();
  CHECK(bridge_add_port(&br, &extra, macs[0]) == NULL); /* duplicate MAC */
  CHECK(bridge_add_port(&br, &extra, mcast) == NULL);
  CHECK(bridge_add_port(&br, &extra, zero) == NULL);
  CHECK(bridge_add_port(&br, NULL, (const uint8_t[6]){2, 1, 1, 1, 1, 1}) == NULL);
  CHECK_EQ(br.n, NVM);
  struct bridge full;
  bridge_init(&full);
  for (int i = 0; i < BRIDGE_MAX_PORTS; i++)
    CHECK(bridge_add_port(&full, &extra, (const uint8_t[6]){2, 0, 0, 1, 0, (uint8_t)i}) != NULL);
  CHECK(bridge_add_port(&full, &extra, (const uint8_t[6]){2, 0, 0, 2, 0, 0}) == NULL);
}

void test_bridge_all(void)
{
  RUN(test_unicast_reaches_only_its_port);
  RUN(test_broadcast_floods_other_ports);
  RUN(test_spoofed_and_unknown_frames_dropped);
  RUN(test_port_down_isolates_stopped_vm);
  RUN(test_receiver_without_buffers_drops);
  RUN(test_add_port_refusals);
}
