/*
 * libFuzzer target: connection tracking alone (kernel/net/conntrack.c) under any sequence of
 * creates, lookups, touches, expiry, clock steps and port reservations, from tuples in a small
 * space so that keys collide often. Input: records of 8 bytes (op, owner, proto, host, in port,
 * remote port, remote host, clock step). Invariants after every record: every live entry is
 * found by both its keys; counts per owner match the owners' lists and never exceed the share;
 * used + free = capacity; no two live outbound entries share a protocol and uplink port; an
 * allocated port lies in CT_PORT_LO..CT_PORT_HI and is not reserved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/conntrack.h"
#include "net/pkt.h"

static struct conntrack ct;
static uint8_t reserved[3][CT_PORTS];
static uint8_t seen[3][CT_PORTS];

static int pidx(uint8_t proto) { return proto == IP_PROTO_ICMP ? 0 : proto == IP_PROTO_TCP ? 1 : 2; }

static void check(uint64_t now)
{
  uint32_t used = 0, per[CT_MAX_OWNERS] = {0};
  memset(seen, 0, sizeof seen);
  for (uint32_t i = 0; i < CT_CAPACITY; i++) {
    const struct ct_entry *e = &ct.e[i];
    if (!e->used)
      continue;
    used++;
    if (e->owner >= ct.n_owners)
      abort();
    per[e->owner]++;
    if (e->expires_ns > now &&
        (ct_lookup_in(&ct, &e->t, now) != i || ct_lookup_out(&ct, &e->t, now) != i))
      abort();
    if (!e->inbound) {
      uint16_t p = e->t.out_port;
      if (p < CT_PORT_LO || p > CT_PORT_HI)
        abort();
      int x = pidx(e->t.proto);
      if (reserved[x][p - CT_PORT_LO] || seen[x][p - CT_PORT_LO]++)
        abort();
    }
  }
  uint32_t free_n = 0;
  for (uint16_t i = ct.free_head; i != CT_NONE; i = ct.e[i].next_in)
    if (++free_n > CT_CAPACITY)
      abort();
  if (used != ct.used || used + free_n != CT_CAPACITY)
    abort();
  for (uint32_t o = 0; o < ct.n_owners; o++) {
    uint32_t n = 0;
    for (uint16_t i = ct.owners[o].lru_head; i != CT_NONE; i = ct.e[i].lru_next)
      if (++n > CT_CAPACITY || ct.e[i].owner != o)
        abort();
    if (n != per[o] || ct.owners[o].count != n || n > ct.share)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  /* Few owners make shares small enough for a fuzz input to fill. */
  uint32_t owners = 1 + data[0] % CT_MAX_OWNERS;
  ct_init(&ct, owners, data[0]);
  /* Reserved at start, as the router reserves published ports: the first 16 of each protocol. */
  memset(reserved, 0, sizeof reserved);
  for (uint32_t p = 0; p < 3; p++)
    for (uint16_t k = 0; k < 16; k++) {
      reserved[p][k] = 1;
      ct_reserve_port(&ct, (uint8_t[]){IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP}[p], (uint16_t)(CT_PORT_LO + k));
    }
  uint64_t now = 0;
  static const uint8_t protos[3] = {IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP};
  for (size_t at = 1; at + 8 <= size; at += 8) {
    const uint8_t *d = data + at;
    struct ct_tuple t = {.proto = protos[d[2] % 3], .in_ip = {10, 0, 0, (uint8_t)(d[3] & 7)},
                         .in_port = (uint16_t)(d[4] & 15), .rem_ip = {192, 0, 2, (uint8_t)(d[6] & 3)},
                         .rem_port = (uint16_t)(d[5] & 3)};
    uint16_t owner = (uint16_t)(d[1] % (owners + 1)); /* sometimes out of range */
    now += (uint64_t)d[7] * CT_SECOND / 4;
    uint16_t idx;
    switch (d[0] % 6) {
    case 0:
    case 1:
      if (ct_lookup_in(&ct, &t, now) == CT_NONE)
        ct_create(&ct, owner, &t, false, now, &idx);
      break;
    case 2: /* inbound on a reserved port, as a published port would be */
      t.out_port = (uint16_t)(CT_PORT_LO + (d[4] >> 4));
      if (ct_lookup_in(&ct, &t, now) == CT_NONE && ct_lookup_out(&ct, &t, now) == CT_NONE)
        ct_create(&ct, owner, &t, true, now, &idx);
      break;
    case 3:
      idx = ct_lookup_in(&ct, &t, now);
      if (idx != CT_NONE)
        ct_touch(&ct, idx, d[1] & 1 ? CT_FROM_OUTSIDE : CT_FROM_INSIDE, d[5], now);
      break;
    case 4:
      ct_expire(&ct, now);
      break;
    default:
      /* Walk the cursor somewhere, so that allocation meets live and reserved ports. */
      ct.next_port[pidx(t.proto)] = (uint16_t)(CT_PORT_LO + (d[4] | d[5] << 8) % CT_PORTS);
      break;
    }
    check(now);
  }
  return 0;
}
