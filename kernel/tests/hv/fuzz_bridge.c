/*
 * libFuzzer target: the bridge (dev/virtio/bridge.c) with its guard and rate limits, three ports
 * on live virtio-net devices and D0 as a member, driven by a script of operations from the input.
 *
 * Input: 8 bytes of configuration (port 0's tx and rx limits: bytes/s, packets/s, burst), then
 * records: [op][time step][len lo][len hi] and len frame bytes. op bits 0..1: the port (3 = D0
 * delivers to port (op>>2)%3); bits 2..3: which destination MAC is planted (a port's, D0's,
 * broadcast, or as given); bit 4: plant the sender's own MAC, ARP/IPv4 type and addresses;
 * bit 5: take the port down; bit 6: bridge_poll. The guest side re-posts every receive buffer
 * the device used, as a driver does.
 * Invariants beyond "no crash, no sanitizer report": each port's tx_packets counts exactly the
 * frames its up VM sent; its drops never exceed them; rx_packets never exceeds what its device
 * delivered; D0 receives only frames the guard passes, to its MAC or multicast, from a real
 * port; a down port receives nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/fake/fake.h"
#include "dev/virtio/bridge.h"
#include "hv/err.h"

#define NPORT 3
#define RAM (64u * 1024u)
#define QSZ 8
#define DESC 0x0000u
#define AVAIL 0x0100u
#define USED 0x0200u
#define BUF 0x1000u
#define BUFLEN 0x800u
#define CFG 8

struct dev {
  uint8_t *ram;
  struct guest_mem mem;
  struct arch_vm avm;
  struct hv_stats stats;
  struct dev_env env;
  struct virtio_net net;
  struct bridge_port *port;
  uint16_t avail_idx, used_seen;
  uint64_t sent;    /* frames this VM sent while its port was up */
  uint64_t rx_down; /* rx_packets when its port went down */
};

static struct bridge br;
static struct dev devs[NPORT];
static const uint8_t d0_mac[6] = {2, 0xd0, 0, 0, 0, 1};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void w(struct virtio_mmio *t, uint32_t off, uint32_t v) { virtio_mmio_write(t, off, 4, v); }

static void on_d0(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  enum net_drop why;
  if (port >= NPORT || !br.ports[port].up ||
      !guard_check(&br.ports[port].addr, frame, len, &why) ||
      (memcmp(frame, d0_mac, 6) != 0 && !(frame[0] & 1)))
    abort();
}

/* The guest driver's part: every used receive buffer goes back into the avail ring. */
static void repost(struct dev *d)
{
  uint16_t used = get16(d->ram + USED + 2);
  for (; d->used_seen != used; d->used_seen++) {
    uint32_t id = d->ram[USED + 4 + (d->used_seen % QSZ) * 8] % QSZ;
    put16(d->ram + AVAIL + 4 + (d->avail_idx % QSZ) * 2, (uint16_t)id);
    d->avail_idx++;
  }
  put16(d->ram + AVAIL + 2, d->avail_idx);
}

static void setup_dev(int i)
{
  struct dev *d = &devs[i];
  if (d->ram == NULL)
    d->ram = aligned_alloc(4096, RAM);
  memset(d->ram, 0, RAM);
  for (uint32_t k = 0; k < QSZ; k++) {
    uint8_t *e = d->ram + DESC + k * 16;
    put32(e, BUF + k * BUFLEN);
    put32(e + 8, BUFLEN);
    put16(e + 12, VIRTQ_DESC_F_WRITE);
    put16(d->ram + AVAIL + 4 + k * 2, (uint16_t)k);
  }
  d->avail_idx = QSZ, d->used_seen = 0, d->sent = 0;
  put16(d->ram + AVAIL + 2, d->avail_idx);
  guest_mem_init(&d->mem, d->ram, RAM);
  arch_vm_init(&d->avm);
  memset(&d->stats, 0, sizeof d->stats);
  d->env = (struct dev_env){&d->mem, &d->avm, "fuzz", &d->stats, NULL};
  struct virtio_mmio *t = &d->net.t;
  uint8_t mac[6] = {2, 0, 0, 0, 0, (uint8_t)(0x10 + i)};
  virtio_net_init(&d->net, &d->env, mac, 0xd0001000ull, 6, bridge_tx, d->port);
  w(t, VIRTIO_MMIO_STATUS, 3);
  w(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  w(t, VIRTIO_MMIO_DRIVER_FEATURES, 1);
  w(t, VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
  w(t, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_NET_RXQ);
  w(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
  w(t, VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
  w(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
  w(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
  w(t, VIRTIO_MMIO_QUEUE_READY, 1);
  w(t, VIRTIO_MMIO_STATUS, 0xf);
}

static void plant(uint8_t op, int src, uint8_t *f, uint32_t len)
{
  if (len < 14)
    return;
  switch (op >> 2 & 3) {
  case 0: memcpy(f, br.ports[(op >> 7) % NPORT].addr.mac, 6); break;
  case 1: memcpy(f, d0_mac, 6); break;
  case 2: memcpy(f, bcast, 6); break;
  default: break;
  }
  if (op & 0x10) {
    const struct guard_port *a = &br.ports[src].addr;
    memcpy(f + 6, a->mac, 6);
    f[12] = 0x08, f[13] = (op & 0x80) ? 0x06 : 0x00;
    if (f[13] == 0x06 && len >= 42)
      memcpy(f + 22, a->mac, 6), memcpy(f + 28, a->ip4, 4);
    if (f[13] == 0x00 && len >= 34)
      memcpy(f + 26, a->ip4, 4);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < CFG)
    return 0;
  fake_time_set(0);
  struct rate_cfg tx = {(uint64_t)data[0] << (data[1] & 31), data[2], (uint32_t)data[3] << 4};
  struct rate_cfg rx = {(uint64_t)data[4] << (data[5] & 31), data[6], (uint32_t)data[7] << 4};
  bridge_init(&br);
  for (int i = 0; i < NPORT; i++) {
    struct bridge_port_cfg pc = {{2, 0, 0, 0, 0, (uint8_t)(0x10 + i)}, {10, 20, 0, (uint8_t)(10 + i)},
                                 i == 0 ? &tx : NULL, i == 0 ? &rx : NULL};
    devs[i].port = bridge_add_port(&br, &devs[i].net, &pc);
    if (devs[i].port == NULL)
      abort();
    setup_dev(i);
  }
  if (!bridge_set_host(&br, d0_mac, on_d0, NULL))
    abort();
  static uint8_t frame[VIRTIO_NET_MAX_FRAME + 64];
  size_t at = CFG;
  while (at + 4 <= size) {
    uint8_t op = data[at];
    fake_time_advance((uint64_t)data[at + 1] << 16);
    uint32_t len = get16(data + at + 2) % (VIRTIO_NET_MAX_FRAME + 32);
    at += 4;
    if (len > size - at)
      len = (uint32_t)(size - at);
    memcpy(frame, data + at, len);
    at += len;
    int src = op & 3;
    if (src == 3) {
      (void)bridge_deliver(&br, (op >> 2) % NPORT, frame, len);
    } else {
      plant(op, src, frame, len);
      if ((op & 0x20) && devs[src].port->up) {
        bridge_port_down(devs[src].port);
        devs[src].rx_down = devs[src].port->counters.rx_packets;
      }
      if (devs[src].port->up)
        devs[src].sent++;
      (void)bridge_tx(devs[src].port, frame, len);
    }
    if (op & 0x40)
      bridge_poll(&br, arch_time_ns());
    for (int i = 0; i < NPORT; i++)
      repost(&devs[i]);
  }
  for (int i = 0; i < NPORT; i++) {
    const struct net_counters *c = &devs[i].port->counters;
    uint64_t drops = 0;
    for (int r = 0; r < NET_DROP_COUNT; r++)
      drops += c->drop[r];
    if (c->tx_packets != devs[i].sent || c->rx_packets > devs[i].stats.net_rx_frames ||
        drops - c->drop[NET_DROP_RATE] > c->tx_packets ||
        (!devs[i].port->up && c->rx_packets != devs[i].rx_down))
      abort();
  }
  return 0;
}
