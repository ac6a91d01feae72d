/* The L2 bridge (dev/virtio/bridge.c) between three VMs' virtio-net devices, each driven by the
 * test guest driver through its VM's real exit dispatch, with D0 as a member (a host callback),
 * the anti-spoofing guard, per-port counters, rx limits and TX throttling. */
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
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
#define FRAME 60 /* every test frame: Ethernet + IPv4 header + 26 bytes, the tag first */
#define MS 1000000ull

struct host {
  struct vm vm;
  uint8_t *ram;
  struct virtio_net net;
  struct bridge_port *port;
  struct drv_q rx, tx;
  uint16_t tx_head;
};

static struct bridge br;
static struct host h[NVM];
static const uint8_t macs[NVM][6] = {{2, 0, 0, 0, 0, 0xa}, {2, 0, 0, 0, 0, 0xb}, {2, 0, 0, 0, 0, 0xc}};
static const uint8_t ips[NVM][4] = {{10, 20, 0, 10}, {10, 20, 0, 11}, {10, 20, 0, 12}};
static const uint8_t d0_mac[6] = {2, 0xd0, 0, 0, 0, 1};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const char *names[NVM] = {"a", "b", "c"};

/* What D0's side of the bridge received; optionally it answers the sender at once. */
static struct {
  uint32_t count, port, len;
  uint8_t frame[VIRTIO_NET_MAX_FRAME];
  bool echo; /* send the frame back to its port through bridge_deliver */
} d0;

static void on_d0(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len)
{
  CHECK(ctx == &d0);
  d0.count++, d0.port = port, d0.len = len;
  memcpy(d0.frame, frame, len < sizeof d0.frame ? len : sizeof d0.frame);
  if (d0.echo)
    CHECK(bridge_deliver(&br, port, frame, len));
}

/* Each VM gets eth0 up with RX buffers posted; VM 0 may have limits; every port on one bridge. */
static void setup_limits(const struct rate_cfg *tx0, const struct rate_cfg *rx0)
{
  fake_time_set(0);
  fake_events_clear();
  bridge_init(&br);
  memset(&d0, 0, sizeof d0);
  for (int i = 0; i < NVM; i++) {
    struct host *x = &h[i];
    struct vm_config cfg = {names[i], 30, VM_HEALTH_READY, NULL, 0, NULL, NULL};
    if (x->ram == NULL)
      x->ram = aligned_alloc(2 * MIB, 4 * MIB);
    memset(x->ram, 0, 4 * MIB);
    CHECK_EQ(vm_init(&x->vm, &cfg, x->ram, 4 * MIB), HV_OK);
    CHECK_EQ(vm_start(&x->vm, NULL), HV_OK);
    struct bridge_port_cfg pc = {.tx_limit = i == 0 ? tx0 : NULL, .rx_limit = i == 0 ? rx0 : NULL};
    memcpy(pc.mac, macs[i], 6);
    memcpy(pc.ip4, ips[i], 4);
    x->port = bridge_add_port(&br, &x->net, &pc);
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
  CHECK(bridge_set_host(&br, d0_mac, on_d0, &d0));
}

static void setup(void) { setup_limits(NULL, NULL); }

/* An IPv4 frame dst <- src (MAC), from IPv4 sip, whose first payload byte is tag. */
static void ip_frame(uint8_t f[FRAME], const uint8_t dst[6], const uint8_t src[6],
                     const uint8_t sip[4], uint8_t tag)
{
  memset(f, 0, FRAME);
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = 0x08, f[13] = 0x00;
  f[14] = 0x45, f[17] = FRAME - 14, f[22] = 64, f[23] = 17;
  memcpy(f + 26, sip, 4);
  memcpy(f + 30, ips[1], 4);
  f[34] = tag;
}

/* Guest i queues frame f (virtio_net_hdr first) in its TX ring, without notifying. */
static void post(int i, const uint8_t *f, uint32_t len)
{
  struct host *x = &h[i];
  uint16_t d = (uint16_t)(x->tx_head % QSZ);
  uint8_t *b = gpa_ptr(&x->vm, TXBUF + d * 0x800ull);
  memset(b, 0, 12);
  memcpy(b + 12, f, len);
  drv_desc(&x->tx, d, TXBUF + d * 0x800ull, 12 + len, 0, 0);
  drv_publish(&x->tx, d);
  x->tx_head++;
}

static void send_raw(int i, const uint8_t *f, uint32_t len)
{
  post(i, f, len);
  drv_notify(&h[i].tx);
}

/* Guest i sends a well-formed IPv4 frame of its own to dst. */
static void send(int i, const uint8_t dst[6], uint8_t tag)
{
  uint8_t f[FRAME];
  ip_frame(f, dst, macs[i], ips[i], tag);
  send_raw(i, f, FRAME);
}

/* The tag of the next frame VM i received, or -1 when nothing arrived. */
static int received(int i)
{
  uint32_t id, len;
  if (!drv_used(&h[i].rx, &id, &len))
    return -1;
  CHECK_EQ(len, 12 + FRAME);
  const uint8_t *b = gpa_ptr(&h[i].vm, RXBUF + id * 0x1000ull);
  return b[12 + 34];
}

/* How many TX chains the device has given back to guest i since the last call. */
static int tx_done(int i)
{
  uint32_t id, len;
  int n = 0;
  while (drv_used(&h[i].tx, &id, &len))
    n++;
  return n;
}

static const struct net_counters *cnt(int i) { return &h[i].port->counters; }

static void test_unicast_reaches_only_its_port(void)
{
  setup();
  send(0, macs[1], 0x11);
  CHECK_EQ(received(1), 0x11);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(received(2), -1);
  CHECK_EQ(received(0), -1);
  CHECK_EQ(d0.count, 0);
  CHECK_EQ(cnt(0)->tx_packets, 1);
  CHECK_EQ(cnt(0)->tx_bytes, FRAME);
  CHECK_EQ(cnt(1)->rx_packets, 1);
  CHECK_EQ(cnt(1)->rx_bytes, FRAME);
  CHECK_EQ(cnt(2)->rx_packets, 0);
  CHECK_EQ(h[1].vm.stats.net_rx_frames, 1);
  CHECK(h[1].vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]); /* the receiver is interrupted */
}

static void test_broadcast_floods_other_ports_and_d0(void)
{
  static const uint8_t v4mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
  setup();
  send(2, bcast, 0x22);
  CHECK_EQ(received(0), 0x22);
  CHECK_EQ(received(1), 0x22);
  CHECK_EQ(received(2), -1); /* never back to the sender */
  CHECK_EQ(d0.count, 1);
  CHECK_EQ(d0.port, 2);
  CHECK_EQ(d0.len, FRAME);
  send(0, v4mcast, 0x23);
  CHECK_EQ(received(1), 0x23);
  CHECK_EQ(received(2), 0x23);
  CHECK_EQ(d0.count, 2);
  CHECK_EQ(d0.port, 0);
}

static void test_unicast_to_d0_reaches_d0_only(void)
{
  setup();
  send(1, d0_mac, 0x24);
  CHECK_EQ(d0.count, 1);
  CHECK_EQ(d0.port, 1);
  CHECK_EQ(d0.frame[34], 0x24);
  CHECK_EQ(received(0), -1);
  CHECK_EQ(received(2), -1);
  for (int r = 0; r < NET_DROP_COUNT; r++)
    CHECK_EQ(cnt(1)->drop[r], 0);
}

/* D0 answering inside its callback delivers into the sender's RX queue while the sender's TX
 * chain is still being handled: both complete. */
static void test_d0_answers_the_sender_at_once(void)
{
  uint32_t id, len;
  setup();
  send(0, macs[1], 0x20); /* TX chain 0 used: the next TX head (1) differs from the RX head (0) */
  CHECK_EQ(tx_done(0), 1);
  d0.echo = true;
  send(0, d0_mac, 0x25);
  CHECK_EQ(received(0), 0x25);
  CHECK(drv_used(&h[0].tx, &id, &len));
  CHECK_EQ(id, 1); /* the TX chain given back is the one sent, not the RX chain just filled */
  CHECK_EQ(cnt(0)->tx_packets, 2);
  CHECK_EQ(cnt(0)->rx_packets, 1);
  CHECK(!h[0].net.t.broken);
  send(0, d0_mac, 0x26); /* and the device goes on working */
  CHECK_EQ(received(0), 0x26);
  CHECK_EQ(tx_done(0), 1);
}

static void test_guard_drops_are_counted_on_the_sender(void)
{
  static const uint8_t stranger[6] = {2, 0, 0, 0, 0, 0x77};
  uint8_t f[FRAME];
  setup();
  ip_frame(f, macs[1], macs[2], ips[0], 0x31); /* a poses as c's MAC */
  send_raw(0, f, FRAME);
  ip_frame(f, macs[1], macs[0], ips[2], 0x32); /* a poses as c's IPv4 */
  send_raw(0, f, FRAME);
  CHECK_EQ(cnt(0)->drop[NET_DROP_SPOOF], 2);
  ip_frame(f, macs[1], macs[0], ips[0], 0x33);
  f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
  send_raw(0, f, FRAME);
  f[12] = 0x81, f[13] = 0x00; /* an 802.1Q tag */
  send_raw(0, f, FRAME);
  CHECK_EQ(cnt(0)->drop[NET_DROP_ETHERTYPE], 2);
  ip_frame(f, macs[1], macs[0], ips[0], 0x34);
  send_raw(0, f, 20); /* IPv4 header cut short */
  send_raw(0, f, 6);  /* shorter than an Ethernet header */
  CHECK_EQ(cnt(0)->drop[NET_DROP_MALFORMED], 2);
  send(0, stranger, 0x35);
  CHECK_EQ(cnt(0)->drop[NET_DROP_NO_ROUTE], 1);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(received(2), -1);
  CHECK_EQ(d0.count, 0);
  CHECK_EQ(cnt(0)->tx_packets, 7); /* every frame the VM sent, dropped or not */
  CHECK_EQ(cnt(0)->tx_bytes, 5 * FRAME + 20 + 6);
  CHECK_EQ(tx_done(0), 7); /* and every chain went back to the guest */
  /* A spoofed broadcast reaches nobody, D0 included. */
  ip_frame(f, bcast, macs[0], ips[1], 0x36);
  send_raw(0, f, FRAME);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(d0.count, 0);
  CHECK_EQ(cnt(0)->drop[NET_DROP_SPOOF], 3);
}

static void test_port_down_isolates_stopped_vm(void)
{
  setup();
  bridge_port_down(h[1].port);
  send(0, macs[1], 0x41);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(cnt(0)->drop[NET_DROP_NO_ROUTE], 1);
  /* A down port's own frames go nowhere either, and are not counted. */
  uint8_t f[FRAME];
  ip_frame(f, macs[0], macs[1], ips[1], 0x42);
  CHECK(bridge_tx(h[1].port, f, FRAME));
  CHECK_EQ(received(0), -1);
  CHECK_EQ(cnt(1)->tx_packets, 0);
  CHECK(!bridge_deliver(&br, 1, f, FRAME));
  send(0, bcast, 0x43);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(received(2), 0x43);
}

static void test_receiver_without_buffers_drops(void)
{
  setup();
  for (int n = 0; n < 4; n++)
    send(0, macs[1], (uint8_t)n);
  send(0, macs[1], 0x55); /* b's four buffers are used up */
  CHECK_EQ(h[1].vm.stats.net_rx_frames, 4);
  CHECK_EQ(h[1].vm.stats.net_drops, 1);
  CHECK_EQ(cnt(1)->rx_packets, 4); /* delivered means the guest took it */
  CHECK_EQ(h[1].vm.state, VM_RUNNING);
}

static void test_deliver_from_d0(void)
{
  uint8_t f[FRAME];
  setup();
  ip_frame(f, macs[2], d0_mac, ips[0], 0x61);
  CHECK(bridge_deliver(&br, 2, f, FRAME));
  CHECK_EQ(received(2), 0x61);
  CHECK_EQ(cnt(2)->rx_packets, 1);
  CHECK_EQ(cnt(2)->rx_bytes, FRAME);
  CHECK(!bridge_deliver(&br, NVM, f, FRAME)); /* no such port */
  CHECK(!bridge_deliver(&br, 0xffffffffu, f, FRAME));
  CHECK(!bridge_deliver(&br, 2, f, 13)); /* a runt */
  CHECK(!bridge_deliver(&br, 2, NULL, FRAME));
  CHECK_EQ(received(2), -1);
  CHECK_EQ(cnt(2)->rx_packets, 1);
}

static void test_add_port_and_host_refusals(void)
{
  static const uint8_t mcast[6] = {3, 0, 0, 0, 0, 1}, zero[6] = {0};
  struct virtio_net extra;
  struct bridge_port_cfg pc = {.ip4 = {10, 20, 0, 99}};
  setup();
  memcpy(pc.mac, macs[0], 6);
  CHECK(bridge_add_port(&br, &extra, &pc) == NULL); /* duplicate MAC */
  memcpy(pc.mac, d0_mac, 6);
  CHECK(bridge_add_port(&br, &extra, &pc) == NULL); /* D0's MAC */
  memcpy(pc.mac, mcast, 6);
  CHECK(bridge_add_port(&br, &extra, &pc) == NULL);
  memcpy(pc.mac, zero, 6);
  CHECK(bridge_add_port(&br, &extra, &pc) == NULL);
  memcpy(pc.mac, (const uint8_t[6]){2, 1, 1, 1, 1, 1}, 6);
  CHECK(bridge_add_port(&br, NULL, &pc) == NULL);
  CHECK(bridge_add_port(&br, &extra, NULL) == NULL);
  memset(pc.ip4, 0, 4);
  CHECK(bridge_add_port(&br, &extra, &pc) == NULL); /* no address */
  CHECK_EQ(br.n, NVM);
  /* D0's MAC may not be a port's, multicast or zero; a refusal leaves D0 where it was. */
  CHECK(!bridge_set_host(&br, macs[1], on_d0, &d0));
  CHECK(!bridge_set_host(&br, mcast, on_d0, &d0));
  CHECK(!bridge_set_host(&br, zero, on_d0, &d0));
  CHECK(!bridge_set_host(&br, (const uint8_t[6]){2, 9, 9, 9, 9, 9}, NULL, NULL));
  CHECK(br.has_host && memcmp(br.host_mac, d0_mac, 6) == 0);
  send(0, d0_mac, 0x71);
  CHECK_EQ(d0.count, 1);
  /* D0 registered after the ports: a port's MAC is refused the same way. */
  struct bridge full;
  bridge_init(&full);
  for (int i = 0; i < BRIDGE_MAX_PORTS; i++) {
    memcpy(pc.mac, (const uint8_t[6]){2, 0, 0, 1, 0, (uint8_t)i}, 6);
    memcpy(pc.ip4, (const uint8_t[4]){10, 0, 0, (uint8_t)(i + 1)}, 4);
    CHECK(bridge_add_port(&full, &extra, &pc) != NULL);
  }
  memcpy(pc.mac, (const uint8_t[6]){2, 0, 0, 2, 0, 0}, 6);
  CHECK(bridge_add_port(&full, &extra, &pc) == NULL);
  CHECK(!bridge_set_host(&full, (const uint8_t[6]){2, 0, 0, 1, 0, 5}, on_d0, &d0));
  CHECK(bridge_set_host(&full, d0_mac, on_d0, &d0));
  CHECK_EQ(full.ports[63].index, 63);
}

/* rx limit of 1 packet/s (a bucket of one packet, plus the one frame of debt): two frames pass
 * at once, the third is dropped and counted `rate` on the receiver, one more passes a second
 * later. */
static void test_rx_limit_drops_over_the_rate(void)
{
  static const struct rate_cfg rx = {0, 1, 0};
  uint8_t f[FRAME];
  setup_limits(NULL, &rx);
  ip_frame(f, macs[0], d0_mac, ips[1], 0x81);
  CHECK(bridge_deliver(&br, 0, f, FRAME));
  send(1, macs[0], 0x82);
  send(2, macs[0], 0x83);
  CHECK_EQ(received(0), 0x81);
  CHECK_EQ(received(0), 0x82);
  CHECK_EQ(received(0), -1);
  CHECK_EQ(cnt(0)->drop[NET_DROP_RATE], 1);
  CHECK_EQ(cnt(0)->rx_packets, 2);
  CHECK_EQ(cnt(2)->drop[NET_DROP_RATE], 0); /* the sender is not blamed */
  fake_time_advance(999 * MS);
  send(1, macs[0], 0x84);
  CHECK_EQ(received(0), -1);
  CHECK_EQ(cnt(0)->drop[NET_DROP_RATE], 2);
  fake_time_advance(1000 * MS);
  send(1, macs[0], 0x85);
  CHECK_EQ(received(0), 0x85);
  CHECK_EQ(cnt(0)->rx_packets, 3);
}

/* tx limit of 1000 bytes/s, no burst: each 60-byte frame puts the port 60 ms in debt. The guest
 * queues four frames; one goes, three wait in its ring (nothing dropped), and bridge_poll lets
 * one more go each time the debt is paid. */
static void test_tx_limit_throttles_the_queue(void)
{
  static const struct rate_cfg tx = {1000, 0, 0};
  uint8_t f[FRAME];
  setup_limits(&tx, NULL);
  for (uint8_t t = 0; t < 4; t++) {
    ip_frame(f, macs[1], macs[0], ips[0], (uint8_t)(0x91 + t));
    post(0, f, FRAME);
  }
  drv_notify(&h[0].tx);
  CHECK_EQ(received(1), 0x91);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(tx_done(0), 1);
  CHECK(h[0].net.tx_throttled);
  drv_notify(&h[0].tx); /* the guest kicks again: ignored while throttled */
  CHECK_EQ(tx_done(0), 0);
  fake_time_advance(59 * MS);
  bridge_poll(&br, arch_time_ns());
  CHECK_EQ(received(1), -1);
  fake_time_advance(1 * MS);
  bridge_poll(&br, arch_time_ns());
  CHECK_EQ(received(1), 0x92);
  CHECK_EQ(received(1), -1);
  CHECK_EQ(tx_done(0), 1);
  fake_time_advance(120 * MS); /* idle past the debt: no burst to save tokens in, one frame */
  bridge_poll(&br, arch_time_ns());
  CHECK_EQ(received(1), 0x93);
  CHECK_EQ(received(1), -1);
  fake_time_advance(60 * MS);
  bridge_poll(&br, arch_time_ns());
  CHECK_EQ(received(1), 0x94);
  CHECK_EQ(tx_done(0), 2);
  CHECK(h[0].net.tx_throttled); /* the last frame left it in debt: nothing waits, no harm */
  CHECK_EQ(cnt(0)->tx_packets, 4);
  for (int r = 0; r < NET_DROP_COUNT; r++)
    CHECK_EQ(cnt(0)->drop[r], 0);
  /* Another port is never slowed by it. */
  send(2, macs[0], 0x95);
  CHECK_EQ(received(0), 0x95);
  CHECK(!h[2].net.tx_throttled);
}

/* A device reset while throttled: polling resumes nothing on a queue that is no longer live,
 * and the device is no longer throttled (a new driver starts afresh). */
static void test_throttled_device_reset(void)
{
  static const struct rate_cfg tx = {1000, 0, 0};
  setup_limits(&tx, NULL);
  send(0, macs[1], 0xa1);
  CHECK(h[0].net.tx_throttled);
  mmio_w(&h[0].vm, NET + VIRTIO_MMIO_STATUS, 0);
  fake_time_advance(1000 * MS);
  bridge_poll(&br, arch_time_ns());
  CHECK(!h[0].net.tx_throttled);
  CHECK_EQ(h[0].net.t.broken, false);
}

void test_bridge_all(void)
{
  RUN(test_unicast_reaches_only_its_port);
  RUN(test_broadcast_floods_other_ports_and_d0);
  RUN(test_unicast_to_d0_reaches_d0_only);
  RUN(test_d0_answers_the_sender_at_once);
  RUN(test_guard_drops_are_counted_on_the_sender);
  RUN(test_port_down_isolates_stopped_vm);
  RUN(test_receiver_without_buffers_drops);
  RUN(test_deliver_from_d0);
  RUN(test_add_port_and_host_refusals);
  RUN(test_rx_limit_drops_over_the_rate);
  RUN(test_tx_limit_throttles_the_queue);
  RUN(test_throttled_device_reset);
}
