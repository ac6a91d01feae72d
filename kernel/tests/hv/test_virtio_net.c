/* virtio-net driven by the guest driver in guest_drv.c through the VM's real exit dispatch: probe,
 * TX and RX, interrupt suppression, the transmit offloads (TSO, checksum) and the TX budget. */
#include <string.h>

#include "arch/fake/fake.h"
#include "hv/err.h"
#include "net/offload.h"
#include "virtio_rig.h"
#include "check.h"

/* The guest's driver brings eth0 up: MAC and `features` negotiated, both queues ready, DRIVER_OK. */
static void net_up(struct drv_q *rx, struct drv_q *tx, uint64_t features)
{
  CHECK(drv_negotiate(&vm, NET, VIRTIO_NET_F_MAC | features) & VIRTIO_STATUS_FEATURES_OK);
  CHECK_EQ(drv_queue(rx, &vm, NET, VIRTIO_NET_RXQ, QSZ, RING + 0x10000), 1);
  CHECK_EQ(drv_queue(tx, &vm, NET, VIRTIO_NET_TXQ, QSZ, RING + 0x20000), 1);
  drv_driver_ok(&vm, NET);
}

static void test_net_probe_tx_rx(void)
{
  setup(4);
  for (int i = 0; i < 6; i++)
    CHECK_EQ(guest_mmio(&vm, NET + VIRTIO_MMIO_CONFIG + i, 1, false, 0), net.config[i]);
  CHECK_EQ(guest_mmio(&vm, NET + VIRTIO_MMIO_CONFIG + 6, 2, false, 0), VIRTIO_NET_S_LINK_UP);
  CHECK_EQ(guest_mmio(&vm, NET + VIRTIO_MMIO_CONFIG, 1, false, 0), 0x02);
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_STATUS);
  /* RX before any buffer is posted: dropped, counted. */
  uint8_t frame[60];
  for (int i = 0; i < 60; i++)
    frame[i] = (uint8_t)(0xa0 + i);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_E_NET_NOBUF);
  CHECK_EQ(vm.stats.net_drops, 1);
  /* TX: header and frame in two descriptors. */
  memset(gpa_ptr(&vm, BUF), 0, 12);
  memcpy(gpa_ptr(&vm, BUF + 0x800), frame, 60);
  drv_desc(&tx, 0, BUF, 12, VIRTQ_DESC_F_NEXT, 1);
  drv_desc(&tx, 1, BUF + 0x800, 60, 0, 0);
  drv_publish(&tx, 0);
  drv_notify(&tx);
  CHECK_EQ(tx_count, 1);
  CHECK_EQ(tx_len, 60);
  CHECK(memcmp(tx_seen, frame, 60) == 0);
  uint32_t id, len;
  CHECK(drv_used(&tx, &id, &len));
  CHECK_EQ(vm.stats.net_tx_frames, 1);
  /* Oversized TX frame: dropped, counted, buffer returned, device fine. */
  drv_desc(&tx, 1, BUF + 0x800, VIRTIO_NET_MAX_FRAME + 1, 0, 0);
  drv_publish(&tx, 0);
  drv_notify(&tx);
  CHECK_EQ(tx_count, 1);
  CHECK(drv_used(&tx, &id, &len));
  CHECK(!net.t.broken);
  /* RX into a posted buffer: header (num_buffers = 1) then the frame. */
  drv_desc(&rx, 0, BUF + 0x3000, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
  drv_publish(&rx, 0);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK(drv_used(&rx, &id, &len));
  CHECK_EQ(len, 72);
  uint8_t *b = gpa_ptr(&vm, BUF + 0x3000);
  CHECK_EQ(b[10], 1);
  CHECK(memcmp(b + 12, frame, 60) == 0);
  CHECK_EQ(vm.stats.net_rx_frames, 1);
  CHECK(vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]);
  CHECK_EQ(virtio_net_rx(&net, frame, 2000), HV_E_NET_FRAME);
  /* An RX buffer marked device-readable breaks the device, not the VM. */
  drv_desc(&rx, 1, BUF + 0x3000, 1530, 0, 0);
  drv_publish(&rx, 1);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_E_DEV_BROKEN);
  CHECK(net.t.broken);
  CHECK_EQ(net.t.broken_err, HV_E_VQ_RO_WRITE);
  CHECK_EQ(vm.state, VM_RUNNING);
  CHECK(!blk.t.broken);
}

/* A TCP/IPv4 frame of `payload` bytes at BUF + 0x10000 behind its virtio_net_hdr at BUF + 0x8000,
 * as Linux's virtio_net hands a GSO skb over; returns the frame's length. */
static uint32_t gso_chain(struct drv_q *tx, uint16_t head, uint32_t payload, uint16_t mss,
                          uint8_t gso_type)
{
  uint8_t *h = gpa_ptr(&vm, BUF + 0x8000), *f = gpa_ptr(&vm, BUF + 0x10000);
  memset(h, 0, 12);
  h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM, h[1] = gso_type;
  h[4] = (uint8_t)mss, h[5] = (uint8_t)(mss >> 8), h[6] = 34, h[8] = 16;
  uint32_t len = 54 + payload;
  memset(f, 0, len);
  f[12] = 0x08, f[14] = 0x45, f[22] = 64, f[23] = 6, f[26] = 10, f[30] = 10;
  pkt_put16(f + 16, (uint16_t)(len - 14));
  f[46] = 0x50, f[47] = 0x10;
  for (uint32_t i = 0; i < payload; i++)
    f[54 + i] = (uint8_t)i;
  drv_desc(tx, head, BUF + 0x8000, 12, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
  drv_desc(tx, (uint16_t)(head + 1), BUF + 0x10000, len, 0, 0);
  drv_publish(tx, head);
  return len;
}

/* The device offers CSUM and HOST_TSO4 and turns a 64 KiB chain into MSS-sized frames for the
 * bridge; a request it cannot honour is dropped whole, counted and named. */
static void test_net_tso(void)
{
  setup(4);
  CHECK(mmio_r(&vm, NET + VIRTIO_MMIO_DEVICE_FEATURES) & (uint32_t)VIRTIO_NET_F_CSUM);
  CHECK(mmio_r(&vm, NET + VIRTIO_MMIO_DEVICE_FEATURES) & (uint32_t)VIRTIO_NET_F_HOST_TSO4);
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4);
  uint32_t payload = 65535 - 40;
  gso_chain(&tx, 0, payload, 1460, VIRTIO_NET_HDR_GSO_TCPV4);
  drv_notify(&tx);
  uint32_t n = (payload + 1459) / 1460;
  CHECK_EQ(tx_count, n);
  CHECK_EQ(tx_bytes, payload + n * 54);
  CHECK_EQ(tx_len, 54 + payload - (n - 1) * 1460);
  CHECK_EQ(vm.stats.net_tx_frames, n);
  CHECK_EQ(vm.stats.net_tx_chains, 1);
  uint32_t id, len;
  CHECK(drv_used(&tx, &id, &len));
  CHECK_EQ(vm.stats.net_drops, 0);
  /* ECN was not offered: refused whole, the chain still returned, the device fine. */
  gso_chain(&tx, 0, 3000, 1460, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
  drv_notify(&tx);
  CHECK_EQ(tx_count, n);
  CHECK_EQ(vm.stats.net_drops, 1);
  CHECK(drv_used(&tx, &id, &len));
  const struct fake_event *e = fake_event_find("offload-bad-gso");
  CHECK(e != NULL && e->err == HV_E_NET_OFFLOAD);
  CHECK(!net.t.broken);
  /* Over 64 KiB of IPv4: dropped as too large, before anything is read. */
  gso_chain(&tx, 0, 65535 - 40, 1460, VIRTIO_NET_HDR_GSO_TCPV4);
  drv_desc(&tx, 1, BUF + 0x10000, NET_OFFLOAD_MAX_FRAME + 1, 0, 0);
  drv_notify(&tx);
  CHECK_EQ(vm.stats.net_drops, 2);
  CHECK(fake_event_find("tx-frame-dropped") != NULL);
  CHECK(drv_used(&tx, &id, &len));
}

/* A driver that negotiated no offload may not ask for one. */
static void test_net_offload_not_negotiated(void)
{
  setup(4);
  struct drv_q rx, tx;
  net_up(&rx, &tx, 0);
  gso_chain(&tx, 0, 3000, 1460, VIRTIO_NET_HDR_GSO_TCPV4);
  drv_notify(&tx);
  CHECK_EQ(tx_count, 0);
  CHECK_EQ(vm.stats.net_drops, 1);
  CHECK(fake_event_find("offload-not-negotiated") != NULL);
}

/* One notification hands the bridge at most VIRTIO_NET_TX_BUDGET frames (after the chain that
 * crosses it); the rest waits for virtio_net_tx_resume, as a throttled queue does. */
static void test_net_tx_budget(void)
{
  setup(4);
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4);
  /* Four chains of 45 segments each... at MSS 400: 164 segments each. */
  for (uint16_t c = 0; c < 4; c++)
    gso_chain(&tx, (uint16_t)(2 * c), 65535 - 40, 400, VIRTIO_NET_HDR_GSO_TCPV4);
  uint32_t per = (65535 - 40 + 399) / 400;
  drv_notify(&tx);
  CHECK_EQ(tx_count, 2 * per); /* the second chain crossed 256 */
  CHECK(net.tx_throttled);
  drv_notify(&tx); /* ignored while waiting */
  CHECK_EQ(tx_count, 2 * per);
  virtio_net_tx_resume(&net);
  CHECK_EQ(tx_count, 4 * per);
  CHECK(!net.tx_throttled);
  uint32_t id, len, used = 0;
  while (drv_used(&tx, &id, &len))
    used++;
  CHECK_EQ(used, 4);
}

/* One TX chain sent: its buffer is used at once, its interrupt deferred (virtio_net.h). */
static void send_one(struct drv_q *tx, uint16_t d)
{
  memset(gpa_ptr(&vm, BUF), 0, 12);
  drv_desc(tx, d, BUF, 12, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
  drv_desc(tx, (uint16_t)(d + 1), BUF + 0x800, 60, 0, 0);
  drv_publish(tx, d);
  drv_notify(tx);
}

/* While the driver polls a queue (NO_INTERRUPT set), used buffers are returned without an
 * interrupt; once it clears the flag, the next one interrupts again. Per queue: RX suppressed
 * does not silence TX. */
static void test_net_interrupt_suppression(void)
{
  setup(4);
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_STATUS);
  uint8_t frame[60] = {0};
  uint32_t id, len;
  avail_flags(&rx, VIRTQ_AVAIL_F_NO_INTERRUPT);
  for (uint16_t i = 0; i < 3; i++) {
    drv_desc(&rx, i, BUF + 0x3000 + 0x800u * i, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
    drv_publish(&rx, i);
  }
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK(drv_used(&rx, &id, &len) && drv_used(&rx, &id, &len)); /* delivered all the same */
  CHECK_EQ(vm.stats.net_rx_frames, 2);
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_INTERRUPT_STATUS), 0);
  CHECK(!vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 0);
  /* TX still interrupts: its own queue's flag is clear (once its deferral is over). */
  uint64_t t0 = arch_time_ns();
  send_one(&tx, 0);
  CHECK(drv_used(&tx, &id, &len));
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 1);
  mmio_w(&vm, NET + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
  CHECK(!vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]);
  /* The driver stops polling RX: the next frame interrupts. */
  avail_flags(&rx, 0);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK(drv_used(&rx, &id, &len));
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
  CHECK(vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 2);
}

/* TX completion interrupts are moderated: none at the notification, one at the first poll after
 * VIRTIO_NET_TX_IRQ_DEFER_NS, none when a received frame's interrupt (or one still pending)
 * carried them, none after a reset or under the driver's NO_INTERRUPT. */
static void test_net_tx_irq_deferred(void)
{
  setup(4);
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_STATUS);
  uint8_t frame[60] = {0};
  uint32_t id, len;
  uint64_t t0 = arch_time_ns();
  send_one(&tx, 0);
  CHECK(drv_used(&tx, &id, &len)); /* the buffer is back at once */
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 0);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS - 1);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 0);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 1);
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
  virtio_net_poll(&net, t0 + 10 * VIRTIO_NET_TX_IRQ_DEFER_NS); /* owed once, raised once */
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 1);
  mmio_w(&vm, NET + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
  /* A frame received before the deadline: one interrupt for both, nothing owed after it. */
  drv_desc(&rx, 0, BUF + 0x3000, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
  drv_publish(&rx, 0);
  t0 = arch_time_ns();
  send_one(&tx, 2);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 1);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 2);
  mmio_w(&vm, NET + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 2);
  CHECK(!vm.avm.irq_level[LAYOUT_VIRTIO_NET_GSI]);
  /* An interrupt still pending (not acknowledged) covers a completion: nothing owed. */
  drv_desc(&rx, 1, BUF + 0x3800, 12 + 1518, VIRTQ_DESC_F_WRITE, 0);
  drv_publish(&rx, 1);
  CHECK_EQ(virtio_net_rx(&net, frame, 60), HV_OK);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 3);
  t0 = arch_time_ns();
  send_one(&tx, 4);
  mmio_w(&vm, NET + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 3);
  /* The driver polls TX (NO_INTERRUPT) when the deferral ends: no interrupt. */
  avail_flags(&tx, VIRTQ_AVAIL_F_NO_INTERRUPT);
  t0 = arch_time_ns();
  send_one(&tx, 6);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 3);
  CHECK_EQ(mmio_r(&vm, NET + VIRTIO_MMIO_INTERRUPT_STATUS), 0);
  /* Reset before the deadline: the device owes the new driver nothing. */
  avail_flags(&tx, 0);
  t0 = arch_time_ns();
  send_one(&tx, 0);
  mmio_w(&vm, NET + VIRTIO_MMIO_STATUS, 0);
  virtio_net_poll(&net, t0 + VIRTIO_NET_TX_IRQ_DEFER_NS);
  CHECK_EQ(vm.avm.irq_edges[LAYOUT_VIRTIO_NET_GSI], 3);
  CHECK_EQ(vm.stats.net_tx_frames, 5);
}

static uint16_t used_flags(const struct drv_q *q)
{
  const uint8_t *f = gpa_ptr(&vm, q->used);
  return (uint16_t)(f[0] | f[1] << 8);
}

static void after_exit_hook(void *n) { virtio_net_after_exit(n); }

/* A chain queued without a notification (the driver saw VIRTQ_USED_F_NO_NOTIFY). */
static void queue_one(struct drv_q *tx, uint16_t d)
{
  drv_desc(tx, d, BUF, 12, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
  drv_desc(tx, (uint16_t)(d + 1), BUF + 0x800, 60, 0, 0);
  drv_publish(tx, d);
}

/* TX notifications off after one is served: the chains queued since are taken at the VM's next
 * exits, whatever they are; the first exit that finds none turns notifications back on. */
static void test_net_tx_kicks_off(void)
{
  setup(4);
  vm.after_exit = after_exit_hook;
  vm.after_exit_ctx = &net;
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_STATUS);
  memset(gpa_ptr(&vm, BUF), 0, 12);
  CHECK_EQ(used_flags(&tx), 0);
  send_one(&tx, 0); /* off once the chain is taken: its own exit's after_exit does not look */
  CHECK_EQ(tx_count, 1);
  CHECK_EQ(used_flags(&tx), VIRTQ_USED_F_NO_NOTIFY);
  CHECK(net.tx_kicks_off);
  /* A chain queued without notifying, then an unrelated exit (the blk's status): taken. */
  queue_one(&tx, 2);
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(tx_count, 2);
  CHECK_EQ(used_flags(&tx), VIRTQ_USED_F_NO_NOTIFY);
  /* Two more, the same way. */
  queue_one(&tx, 4);
  queue_one(&tx, 6);
  CHECK_EQ(tx_count, 2);
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(tx_count, 4);
  CHECK_EQ(used_flags(&tx), VIRTQ_USED_F_NO_NOTIFY);
  uint32_t id, len, used = 0;
  while (drv_used(&tx, &id, &len))
    used++;
  CHECK_EQ(used, 4);
  /* The next exit finds nothing: notifications on, and nothing is taken without one. */
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(used_flags(&tx), 0);
  CHECK(!net.tx_kicks_off);
  queue_one(&tx, 0); /* the ring has QSZ descriptors: reused from here on */
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(tx_count, 4);
  drv_notify(&tx);
  CHECK_EQ(tx_count, 5);
  /* The host loop's poll looks too (a VM whose vCPUs are halted has no exits). */
  send_one(&tx, 2);
  queue_one(&tx, 4);
  virtio_net_poll(&net, arch_time_ns());
  CHECK_EQ(tx_count, 7);
  /* A reset: the new queue starts with notifications on. */
  CHECK(net.tx_kicks_off);
  mmio_w(&vm, NET + VIRTIO_MMIO_STATUS, 0);
  CHECK(!net.tx_kicks_off);
  CHECK_EQ(vm.stats.net_tx_frames, 7);
  CHECK(!net.t.broken);
}

/* Notifications off meets the TX budget: a look takes chains until the budget is crossed, the
 * queue then waits for virtio_net_tx_resume (later looks leave it alone), and looks go on after. */
static void test_net_tx_kicks_off_budget(void)
{
  setup(4);
  vm.after_exit = after_exit_hook;
  vm.after_exit_ctx = &net;
  struct drv_q rx, tx;
  net_up(&rx, &tx, VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4);
  uint32_t per = (65535 - 40 + 399) / 400; /* segments of one chain at MSS 400 */
  gso_chain(&tx, 0, 65535 - 40, 400, VIRTIO_NET_HDR_GSO_TCPV4);
  drv_notify(&tx);
  CHECK_EQ(tx_count, per);
  CHECK(net.tx_kicks_off && !net.tx_throttled);
  for (uint16_t c = 1; c < 4; c++) /* queued without notifying */
    gso_chain(&tx, (uint16_t)(2 * c), 65535 - 40, 400, VIRTIO_NET_HDR_GSO_TCPV4);
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(tx_count, 3 * per); /* the look's second chain crossed VIRTIO_NET_TX_BUDGET */
  CHECK(net.tx_throttled);
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS);
  CHECK_EQ(tx_count, 3 * per);
  virtio_net_tx_resume(&net);
  CHECK_EQ(tx_count, 4 * per);
  CHECK(!net.tx_throttled);
  CHECK_EQ(used_flags(&tx), VIRTQ_USED_F_NO_NOTIFY);
  mmio_r(&vm, BLK + VIRTIO_MMIO_STATUS); /* nothing left: notifications on again */
  CHECK_EQ(used_flags(&tx), 0);
  uint32_t id, len, used = 0;
  while (drv_used(&tx, &id, &len))
    used++;
  CHECK_EQ(used, 4);
  CHECK(!net.t.broken);
}

void test_virtio_net_all(void)
{
  RUN(test_net_tx_kicks_off);
  RUN(test_net_tx_kicks_off_budget);
  RUN(test_net_probe_tx_rx);
  RUN(test_net_interrupt_suppression);
  RUN(test_net_tx_irq_deferred);
  RUN(test_net_tso);
  RUN(test_net_offload_not_negotiated);
  RUN(test_net_tx_budget);
}
