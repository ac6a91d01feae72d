/* The L2 bridge (dev/virtio/bridge.c) between three VMs' virtio-net devices (bridge_rig.h), with
 * D0 as a member: forwarding, the anti-spoofing guard's drops counted per port, D0's port and
 * its deliveries, refusals. Rate limits and TX throttling: test_bridge_limits.c. */
#include <string.h>

#include "bridge_rig.h"
#include "check.h"
#include "hv/layout.h"

static void test_unicast_reaches_only_its_port(void)
{
  rig_setup(NULL, NULL);
  rig_send(0, rig_macs[1], 0x11);
  CHECK_EQ(rig_received(1), 0x11);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_received(2), -1);
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_d0.count, 0);
  CHECK_EQ(rig_cnt(0)->tx_packets, 1);
  CHECK_EQ(rig_cnt(0)->tx_bytes, RIG_FRAME);
  CHECK_EQ(rig_cnt(1)->rx_packets, 1);
  CHECK_EQ(rig_cnt(1)->rx_bytes, RIG_FRAME);
  CHECK_EQ(rig_cnt(2)->rx_packets, 0);
  CHECK_EQ(rig[1].vm.stats.net_rx_frames, 1);
  CHECK(rig[1].vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]); /* the receiver is interrupted */
}

static void test_broadcast_floods_other_ports_and_d0(void)
{
  static const uint8_t v4mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
  rig_setup(NULL, NULL);
  rig_send(2, rig_bcast, 0x22);
  CHECK_EQ(rig_received(0), 0x22);
  CHECK_EQ(rig_received(1), 0x22);
  CHECK_EQ(rig_received(2), -1); /* never back to the sender */
  CHECK_EQ(rig_d0.count, 1);
  CHECK_EQ(rig_d0.port, 2);
  CHECK_EQ(rig_d0.len, RIG_FRAME);
  rig_send(0, v4mcast, 0x23);
  CHECK_EQ(rig_received(1), 0x23);
  CHECK_EQ(rig_received(2), 0x23);
  CHECK_EQ(rig_d0.count, 2);
  CHECK_EQ(rig_d0.port, 0);
}

static void test_unicast_to_d0_reaches_d0_only(void)
{
  rig_setup(NULL, NULL);
  rig_send(1, rig_d0_mac, 0x24);
  CHECK_EQ(rig_d0.count, 1);
  CHECK_EQ(rig_d0.port, 1);
  CHECK_EQ(rig_d0.frame[34], 0x24);
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_received(2), -1);
  for (int r = 0; r < NET_DROP_COUNT; r++)
    CHECK_EQ(rig_cnt(1)->drop[r], 0);
}

/* D0 answering inside its callback delivers into the sender's RX queue while the sender's TX
 * chain is still being handled: both complete. */
static void test_d0_answers_the_sender_at_once(void)
{
  uint32_t id, len;
  rig_setup(NULL, NULL);
  rig_send(0, rig_macs[1], 0x20); /* TX chain 0 used: the next TX head (1) differs from the RX head (0) */
  CHECK_EQ(rig_tx_done(0), 1);
  rig_d0.echo = true;
  rig_send(0, rig_d0_mac, 0x25);
  CHECK_EQ(rig_received(0), 0x25);
  CHECK(drv_used(&rig[0].tx, &id, &len));
  CHECK_EQ(id, 1); /* the TX chain given back is the one sent, not the RX chain just filled */
  CHECK_EQ(rig_cnt(0)->tx_packets, 2);
  CHECK_EQ(rig_cnt(0)->rx_packets, 1);
  CHECK(!rig[0].net.t.broken);
  rig_send(0, rig_d0_mac, 0x26); /* and the device goes on working */
  CHECK_EQ(rig_received(0), 0x26);
  CHECK_EQ(rig_tx_done(0), 1);
}

static void test_guard_drops_are_counted_on_the_sender(void)
{
  static const uint8_t stranger[6] = {2, 0, 0, 0, 0, 0x77};
  uint8_t f[RIG_FRAME];
  rig_setup(NULL, NULL);
  rig_ip_frame(f, rig_macs[1], rig_macs[2], rig_ips[0], 0x31); /* a poses as c's MAC */
  rig_send_raw(0, f, RIG_FRAME);
  rig_ip_frame(f, rig_macs[1], rig_macs[0], rig_ips[2], 0x32); /* a poses as c's IPv4 */
  rig_send_raw(0, f, RIG_FRAME);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_SPOOF], 2);
  rig_ip_frame(f, rig_macs[1], rig_macs[0], rig_ips[0], 0x33);
  f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
  rig_send_raw(0, f, RIG_FRAME);
  f[12] = 0x81, f[13] = 0x00; /* an 802.1Q tag */
  rig_send_raw(0, f, RIG_FRAME);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_ETHERTYPE], 2);
  rig_ip_frame(f, rig_macs[1], rig_macs[0], rig_ips[0], 0x34);
  rig_send_raw(0, f, 20); /* IPv4 header cut short */
  rig_send_raw(0, f, 6);  /* shorter than an Ethernet header */
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_MALFORMED], 2);
  rig_send(0, stranger, 0x35);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_NO_ROUTE], 1);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_received(2), -1);
  CHECK_EQ(rig_d0.count, 0);
  CHECK_EQ(rig_cnt(0)->tx_packets, 7); /* every frame the VM sent, dropped or not */
  CHECK_EQ(rig_cnt(0)->tx_bytes, 5 * RIG_FRAME + 20 + 6);
  CHECK_EQ(rig_tx_done(0), 7); /* and every chain went back to the guest */
  /* A spoofed broadcast reaches nobody, D0 included. */
  rig_ip_frame(f, rig_bcast, rig_macs[0], rig_ips[1], 0x36);
  rig_send_raw(0, f, RIG_FRAME);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_d0.count, 0);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_SPOOF], 3);
}

static void test_port_down_isolates_stopped_vm(void)
{
  rig_setup(NULL, NULL);
  bridge_port_down(rig[1].port);
  rig_send(0, rig_macs[1], 0x41);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_cnt(0)->drop[NET_DROP_NO_ROUTE], 1);
  /* A down port's own frames go nowhere either, and are not counted. */
  uint8_t f[RIG_FRAME];
  rig_ip_frame(f, rig_macs[0], rig_macs[1], rig_ips[1], 0x42);
  CHECK(bridge_tx(rig[1].port, f, RIG_FRAME));
  CHECK_EQ(rig_received(0), -1);
  CHECK_EQ(rig_cnt(1)->tx_packets, 0);
  CHECK(!bridge_deliver(&rig_br, 1, f, RIG_FRAME));
  rig_send(0, rig_bcast, 0x43);
  CHECK_EQ(rig_received(1), -1);
  CHECK_EQ(rig_received(2), 0x43);
}

static void test_receiver_without_buffers_drops(void)
{
  rig_setup(NULL, NULL);
  for (int n = 0; n < 4; n++)
    rig_send(0, rig_macs[1], (uint8_t)n);
  rig_send(0, rig_macs[1], 0x55); /* b's four buffers are used up */
  CHECK_EQ(rig[1].vm.stats.net_rx_frames, 4);
  CHECK_EQ(rig[1].vm.stats.net_drops, 1);
  CHECK_EQ(rig_cnt(1)->rx_packets, 4); /* delivered means the guest took it */
  CHECK_EQ(rig[1].vm.state, VM_RUNNING);
}

static void test_deliver_from_d0(void)
{
  uint8_t f[RIG_FRAME];
  rig_setup(NULL, NULL);
  rig_ip_frame(f, rig_macs[2], rig_d0_mac, rig_ips[0], 0x61);
  CHECK(bridge_deliver(&rig_br, 2, f, RIG_FRAME));
  CHECK_EQ(rig_received(2), 0x61);
  CHECK_EQ(rig_cnt(2)->rx_packets, 1);
  CHECK_EQ(rig_cnt(2)->rx_bytes, RIG_FRAME);
  CHECK(!bridge_deliver(&rig_br, RIG_NVM, f, RIG_FRAME)); /* no such port */
  CHECK(!bridge_deliver(&rig_br, 0xffffffffu, f, RIG_FRAME));
  CHECK(!bridge_deliver(&rig_br, 2, f, 13)); /* a runt */
  CHECK(!bridge_deliver(&rig_br, 2, NULL, RIG_FRAME));
  CHECK_EQ(rig_received(2), -1);
  CHECK_EQ(rig_cnt(2)->rx_packets, 1);
}

static void test_add_port_and_host_refusals(void)
{
  static const uint8_t mcast[6] = {3, 0, 0, 0, 0, 1}, zero[6] = {0};
  struct virtio_net extra;
  struct bridge_port_cfg pc = {.ip4 = {10, 20, 0, 99}};
  rig_setup(NULL, NULL);
  memcpy(pc.mac, rig_macs[0], 6);
  CHECK(bridge_add_port(&rig_br, &extra, &pc) == NULL); /* duplicate MAC */
  memcpy(pc.mac, rig_d0_mac, 6);
  CHECK(bridge_add_port(&rig_br, &extra, &pc) == NULL); /* D0's MAC */
  memcpy(pc.mac, mcast, 6);
  CHECK(bridge_add_port(&rig_br, &extra, &pc) == NULL);
  memcpy(pc.mac, zero, 6);
  CHECK(bridge_add_port(&rig_br, &extra, &pc) == NULL);
  memcpy(pc.mac, (const uint8_t[6]){2, 1, 1, 1, 1, 1}, 6);
  CHECK(bridge_add_port(&rig_br, NULL, &pc) == NULL);
  CHECK(bridge_add_port(&rig_br, &extra, NULL) == NULL);
  memset(pc.ip4, 0, 4);
  CHECK(bridge_add_port(&rig_br, &extra, &pc) == NULL); /* no address */
  CHECK_EQ(rig_br.n, RIG_NVM);
  /* D0's MAC may not be a port's, multicast or zero; a refusal leaves D0 where it was. */
  CHECK(!bridge_set_host(&rig_br, rig_macs[1], rig_on_d0, &rig_d0));
  CHECK(!bridge_set_host(&rig_br, mcast, rig_on_d0, &rig_d0));
  CHECK(!bridge_set_host(&rig_br, zero, rig_on_d0, &rig_d0));
  CHECK(!bridge_set_host(&rig_br, (const uint8_t[6]){2, 9, 9, 9, 9, 9}, NULL, NULL));
  CHECK(rig_br.has_host && memcmp(rig_br.host_mac, rig_d0_mac, 6) == 0);
  rig_send(0, rig_d0_mac, 0x71);
  CHECK_EQ(rig_d0.count, 1);
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
  CHECK(!bridge_set_host(&full, (const uint8_t[6]){2, 0, 0, 1, 0, 5}, rig_on_d0, &rig_d0));
  CHECK(bridge_set_host(&full, rig_d0_mac, rig_on_d0, &rig_d0));
  CHECK_EQ(full.ports[63].index, 63);
}
void test_bridge_limits_all(void);

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
  test_bridge_limits_all();
}
