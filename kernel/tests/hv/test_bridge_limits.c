/* The bridge's rate limits (bridge_rig.h's VM 0 with limits): rx over the limit dropped and
 * counted on the receiver; tx over the limit throttled, the frames waiting in the guest's ring. */
#include "arch/arch.h"
#include "arch/fake/fake.h"
#include "bridge_rig.h"
#include "check.h"
#include "hv/layout.h"

#define NET LAYOUT_VIRTIO_NET_BASE

/* rx limit of 1 packet/s (a bucket of one packet, plus the one frame of debt): two frames pass
 * at once, the third is dropped and counted `rate` on the receiver, one more passes a second
 * later. */
static void test_rx_limit_drops_over_the_rate(void)
{
  static const struct rate_cfg rx = {0, 1, 0};
  uint8_t f[RIG_FRAME];
  rig_setup(NULL, &rx);
  rig_ip_frame(f, rig_macs[0], rig_d0_mac, rig_ips[1], 0x81);
  CHECK(bridge_deliver(&rig_br, 0, f, RIG_FRAME));
  rig_send(1, rig_macs[0], 0x82);
  rig_send(2, rig_macs[0], 0x83);
  CHECK_EQ(rig_received(0), 0x81);
  CHECK_EQ(rig_received(0), 0x82);
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_RATE], 1);
  CHECK_EQ(rig_cnt(0)->rx_packets, 2);
  CHECK_EQ(rig_cnt(2)->drop[NET_DROP_RATE], 0); /* the sender is not blamed */
  fake_time_advance(999 * RIG_MS);
  rig_send(1, rig_macs[0], 0x84);
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_RATE], 2);
  fake_time_advance(1000 * RIG_MS);
  rig_send(1, rig_macs[0], 0x85);
  CHECK_EQ(rig_received(0), 0x85);
  CHECK_EQ(rig_cnt(0)->rx_packets, 3);
}

/* ARP is not charged to the rx limit but to a budget of its own (BRIDGE_RX_ARP_PER_S, whose
 * packet bucket holds RATE_PACKET_BURST_MS of it): with the limit spent, a neighbour's ARP still
 * arrives; an ARP flood passes only that budget (plus one frame of debt), the rest dropped and
 * counted `rate`, and data frames stay held to the limit all along. */
static void test_rx_limit_leaves_arp_its_own_budget(void)
{
  static const struct rate_cfg rx = {0, 1, 0};
  const uint32_t arp_burst = BRIDGE_RX_ARP_PER_S * RATE_PACKET_BURST_MS / 1000u;
  const uint32_t sent = arp_burst + 5;
  uint8_t f[RIG_FRAME];
  rig_setup(NULL, &rx);
  rig_send(1, rig_macs[0], 0x81);
  rig_send(1, rig_macs[0], 0x82);
  rig_send(1, rig_macs[0], 0x83); /* the limit is spent: dropped */
  CHECK_EQ(rig_received(0), 0x81);
  CHECK_EQ(rig_received(0), 0x82);
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_RATE], 1);
  /* The first ARP arrives although the limit is spent. VM 0 has only a few RX buffers posted, so
   * what the budget admits is read from the rate drops (the device's own drops are apart). */
  for (uint32_t k = 0; k < sent; k++) {
    rig_arp_frame(f, 1, rig_ips[0], (uint8_t)(0x40 + k));
    rig_send_raw(1, f, RIG_FRAME);
    if (k == 0)
      CHECK_EQ(rig_received(0), 0x40);
  }
  /* Admitted: the bucket, then one frame of debt; the other 4 are rate drops. */
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_RATE], 1 + (sent - (arp_burst + 1)));
  CHECK_EQ(rig_cnt(2)->drop[NET_DROP_RATE], 0); /* VM 2 has no limit: nothing charged there */
  rig_send(1, rig_macs[0], 0x84); /* data: still in the limit's debt */
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_RATE], 2 + (sent - (arp_burst + 1)));
}

/* tx limit of 1000 bytes/s, no burst: each 60-byte frame puts the port 60 ms in debt. The guest
 * queues four frames; one goes, three wait in its ring (nothing dropped), and bridge_poll lets
 * one more go each time the debt is paid. */
static void test_tx_limit_throttles_the_queue(void)
{
  static const struct rate_cfg tx = {1000, 0, 0};
  uint8_t f[RIG_FRAME];
  rig_setup(&tx, NULL);
  for (uint8_t t = 0; t < 4; t++) {
    rig_ip_frame(f, rig_macs[1], rig_macs[0], rig_ips[0], (uint8_t)(0x91 + t));
    rig_post(0, f, RIG_FRAME);
  }
  drv_notify(&rig[0].tx);
  CHECK_EQ(rig_received(1), 0x91);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_tx_done(0), 1);
  CHECK(rig[0].net.tx_throttled);
  drv_notify(&rig[0].tx); /* the guest kicks again: ignored while throttled */
  CHECK_EQ(rig_tx_done(0), 0);
  fake_time_advance(59 * RIG_MS);
  bridge_poll(&rig_br, arch_time_ns());
  CHECK_EQ(rig_received(1), -1);
  fake_time_advance(1 * RIG_MS);
  bridge_poll(&rig_br, arch_time_ns());
  CHECK_EQ(rig_received(1), 0x92);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_tx_done(0), 1);
  fake_time_advance(120 * RIG_MS); /* idle past the debt: no burst to save tokens in, one frame */
  bridge_poll(&rig_br, arch_time_ns());
  CHECK_EQ(rig_received(1), 0x93);
  CHECK_EQ(rig_received(1), -1);
  fake_time_advance(60 * RIG_MS);
  bridge_poll(&rig_br, arch_time_ns());
  CHECK_EQ(rig_received(1), 0x94);
  CHECK_EQ(rig_tx_done(0), 2);
  CHECK(rig[0].net.tx_throttled); /* the last frame left it in debt: nothing waits, no harm */
  CHECK_EQ(rig_cnt(0)->tx_packets, 4);
  for (int r = 0; r < NET_DROP_COUNT; r++)
    CHECK_EQ(rig_cnt(0)->drop[r], 0);
  /* Another port is never slowed by it. */
  rig_send(2, rig_macs[0], 0x95);
  CHECK_EQ(rig_received(0), 0x95);
  CHECK(!rig[2].net.tx_throttled);
}

/* A device reset while throttled: polling resumes nothing on a queue that is no longer live,
 * and the device is no longer throttled (a new driver starts afresh). */
static void test_throttled_device_reset(void)
{
  static const struct rate_cfg tx = {1000, 0, 0};
  rig_setup(&tx, NULL);
  rig_send(0, rig_macs[1], 0xa1);
  CHECK(rig[0].net.tx_throttled);
  mmio_w(&rig[0].vm, NET + VIRTIO_MMIO_STATUS, 0);
  fake_time_advance(1000 * RIG_MS);
  bridge_poll(&rig_br, arch_time_ns());
  CHECK(!rig[0].net.tx_throttled);
  CHECK_EQ(rig[0].net.t.broken, false);
}

void test_bridge_limits_all(void)
{
  RUN(test_rx_limit_drops_over_the_rate);
  RUN(test_rx_limit_leaves_arp_its_own_budget);
  RUN(test_tx_limit_throttles_the_queue);
  RUN(test_throttled_device_reset);
}
