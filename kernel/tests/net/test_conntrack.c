/*
 * Host tests of connection tracking (kernel/net/conntrack.c): both keys, timeouts by protocol
 * and TCP state, expiry, per-owner shares under a flood, SNAT port allocation (wrap, live and
 * reserved ports skipped, exhaustion), and the table's own consistency after heavy churn.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net/conntrack.h"
#include "net/pkt.h"
#include "tests.h"

static struct conntrack ct;

static struct ct_tuple tuple(uint8_t proto, uint8_t host, uint16_t in_port, uint16_t rem_port)
{
  struct ct_tuple t = {.proto = proto, .in_ip = {10, 20, 0, host}, .in_port = in_port,
                       .rem_ip = {198, 51, 100, 7}, .rem_port = rem_port};
  return t;
}

/* The table agrees with itself: every used entry is found by both keys, owners' counts and
 * lists match, the free list holds the rest. */
static bool consistent(uint64_t now)
{
  uint32_t used = 0, per[CT_MAX_OWNERS] = {0};
  for (uint32_t i = 0; i < CT_CAPACITY; i++) {
    const struct ct_entry *e = &ct.e[i];
    if (!e->used)
      continue;
    used++;
    per[e->owner]++;
    if (e->expires_ns > now && (ct_lookup_in(&ct, &e->t, now) != i || ct_lookup_out(&ct, &e->t, now) != i))
      return false;
  }
  uint32_t free_n = 0;
  for (uint16_t i = ct.free_head; i != CT_NONE && free_n <= CT_CAPACITY; i = ct.e[i].next_in)
    free_n++;
  if (used != ct.used || free_n + used != CT_CAPACITY)
    return false;
  for (uint32_t o = 0; o < ct.n_owners; o++) {
    uint32_t n = 0;
    for (uint16_t i = ct.owners[o].lru_head; i != CT_NONE && n <= CT_CAPACITY; i = ct.e[i].lru_next)
      n++;
    if (n != per[o] || ct.owners[o].count != per[o] || per[o] > ct.share)
      return false;
  }
  return true;
}

static void test_keys_and_ports(void)
{
  ct_init(&ct, 2, 1234);
  uint16_t a, b, c;
  struct ct_tuple t = tuple(IP_PROTO_TCP, 2, 5555, 443);
  CHECK_EQ(ct_lookup_in(&ct, &t, 0), CT_NONE);
  CHECK_EQ(ct_create(&ct, 0, &t, false, 0, &a), CT_OK);
  struct ct_entry *e = &ct.e[a];
  CHECK(e->t.out_port >= CT_PORT_LO && e->t.out_port <= CT_PORT_HI);
  CHECK_EQ(ct_lookup_in(&ct, &t, 1), a);
  struct ct_tuple o = {.proto = IP_PROTO_TCP, .rem_ip = {198, 51, 100, 7}, .rem_port = 443,
                       .out_port = e->t.out_port};
  CHECK_EQ(ct_lookup_out(&ct, &o, 1), a);
  o.rem_port = 444;
  CHECK_EQ(ct_lookup_out(&ct, &o, 1), CT_NONE);
  o.rem_port = 443, o.proto = IP_PROTO_UDP;
  CHECK_EQ(ct_lookup_out(&ct, &o, 1), CT_NONE);
  /* Same container port to another peer: a new flow with another uplink port. */
  struct ct_tuple t2 = t;
  t2.rem_ip[3] = 8;
  CHECK_EQ(ct_create(&ct, 0, &t2, false, 0, &b), CT_OK);
  CHECK(ct.e[b].t.out_port != ct.e[a].t.out_port);
  /* An inbound entry keeps the given (published) port. */
  struct ct_tuple in = tuple(IP_PROTO_TCP, 3, 80, 60123);
  in.out_port = 8080;
  CHECK_EQ(ct_create(&ct, 1, &in, true, 0, &c), CT_OK);
  CHECK_EQ(ct.e[c].t.out_port, 8080);
  CHECK(ct.e[c].inbound);
  CHECK_EQ(ct.used, 3);
  CHECK(consistent(1));
  /* Unknown protocol or owner: refused. */
  struct ct_tuple gre = tuple(47, 2, 1, 1);
  CHECK_EQ(ct_create(&ct, 0, &gre, false, 0, &a), CT_FULL);
  CHECK_EQ(ct_create(&ct, 2, &t, false, 0, &a), CT_FULL);
}

static void test_timeouts(void)
{
  ct_init(&ct, 1, 99);
  uint16_t i;
  const uint64_t S = CT_SECOND;
  struct ct_tuple u = tuple(IP_PROTO_UDP, 2, 1000, 53);
  CHECK_EQ(ct_create(&ct, 0, &u, false, 0, &i), CT_OK);
  CHECK_EQ(ct_lookup_in(&ct, &u, 29 * S), i);
  CHECK_EQ(ct_lookup_in(&ct, &u, 30 * S), CT_NONE); /* expired: freed on the way */
  CHECK_EQ(ct.used, 0);
  /* A UDP flow that was answered lives longer. */
  CHECK_EQ(ct_create(&ct, 0, &u, false, 0, &i), CT_OK);
  ct_touch(&ct, i, CT_FROM_OUTSIDE, 0, 10 * S);
  CHECK_EQ(ct.e[i].expires_ns, 10 * S + CT_TIMEOUT_UDP_REPLIED);
  /* ICMP. */
  struct ct_tuple p = tuple(IP_PROTO_ICMP, 2, 77, 0);
  uint16_t k;
  CHECK_EQ(ct_create(&ct, 0, &p, false, 5 * S, &k), CT_OK);
  CHECK_EQ(ct.e[k].expires_ns, 5 * S + CT_TIMEOUT_ICMP);
  /* TCP: SYN, then the peer's SYN+ACK (established), FIN (closing), RST (closed). */
  struct ct_tuple t = tuple(IP_PROTO_TCP, 2, 4000, 80);
  uint16_t j;
  CHECK_EQ(ct_create(&ct, 0, &t, false, 0, &j), CT_OK);
  ct_touch(&ct, j, CT_FROM_INSIDE, TCP_SYN, 0);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_SYN);
  CHECK_EQ(ct.e[j].expires_ns, CT_TIMEOUT_TCP_SYN);
  ct_touch(&ct, j, CT_FROM_INSIDE, TCP_ACK, 1); /* the opener's own ACK proves nothing */
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_SYN);
  ct_touch(&ct, j, CT_FROM_OUTSIDE, TCP_SYN | TCP_ACK, 2);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_ESTABLISHED);
  CHECK_EQ(ct.e[j].expires_ns, 2 + CT_TIMEOUT_TCP_ESTABLISHED);
  ct_touch(&ct, j, CT_FROM_INSIDE, TCP_FIN | TCP_ACK, 3);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_CLOSING);
  CHECK_EQ(ct.e[j].expires_ns, 3 + CT_TIMEOUT_TCP_CLOSING);
  ct_touch(&ct, j, CT_FROM_OUTSIDE, TCP_RST, 4);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_CLOSED);
  ct_touch(&ct, j, CT_FROM_OUTSIDE, TCP_FIN, 5); /* closed stays closed */
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_CLOSED);
  CHECK_EQ(ct.e[j].expires_ns, 5 + CT_TIMEOUT_TCP_CLOSED);
  /* The peer's SYN does not reopen it; the opener's new SYN on the same five-tuple does. */
  ct_touch(&ct, j, CT_FROM_OUTSIDE, TCP_SYN, 5);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_CLOSED);
  ct_touch(&ct, j, CT_FROM_INSIDE, TCP_SYN, 5);
  CHECK_EQ(ct.e[j].tcp_state, CT_TCP_SYN);
  CHECK(!ct.e[j].replied);
  CHECK_EQ(ct.e[j].expires_ns, 5 + CT_TIMEOUT_TCP_SYN);
  ct_touch(&ct, j, CT_FROM_INSIDE, TCP_RST, 5);
  CHECK_EQ(ct.e[j].expires_ns, 5 + CT_TIMEOUT_TCP_CLOSED);
  /* An inbound flow: the reply is the container's. */
  struct ct_tuple in = tuple(IP_PROTO_TCP, 2, 22, 50000);
  in.out_port = 2222;
  uint16_t m;
  CHECK_EQ(ct_create(&ct, 0, &in, true, 0, &m), CT_OK);
  ct_touch(&ct, m, CT_FROM_OUTSIDE, TCP_ACK, 1);
  CHECK_EQ(ct.e[m].tcp_state, CT_TCP_SYN);
  ct_touch(&ct, m, CT_FROM_INSIDE, TCP_SYN | TCP_ACK, 1);
  CHECK_EQ(ct.e[m].tcp_state, CT_TCP_ESTABLISHED);
  /* ct_expire frees exactly what is due. */
  CHECK_EQ(ct.used, 4);
  CHECK_EQ(ct_expire(&ct, 5 * S + CT_TIMEOUT_ICMP), 2); /* the ICMP and the closed TCP */
  CHECK_EQ(ct.used, 2);
  CHECK(consistent(5 * S + CT_TIMEOUT_ICMP));
  CHECK_EQ(ct_expire(&ct, 8000 * S), 2);
  CHECK_EQ(ct.used, 0);
  CHECK(consistent(8000 * S));
}

static void test_shares(void)
{
  ct_init(&ct, 2, 5);
  CHECK_EQ(ct.share, CT_CAPACITY / 2);
  uint16_t idx;
  /* Owner 1 holds a few flows. */
  for (uint16_t p = 1; p <= 10; p++) {
    struct ct_tuple t = tuple(IP_PROTO_UDP, 3, p, 53);
    CHECK_EQ(ct_create(&ct, 1, &t, false, 0, &idx), CT_OK);
  }
  /* Owner 0 floods three times its share of new flows. */
  uint32_t ok = 0;
  for (uint32_t n = 0; n < 3 * ct.share; n++) {
    struct ct_tuple t = tuple(IP_PROTO_UDP, 2, (uint16_t)(n % 60000 + 1), (uint16_t)(n / 60000 + 1));
    if (ct_create(&ct, 0, &t, false, n, &idx) == CT_OK)
      ok++;
  }
  CHECK_EQ(ok, 3 * ct.share);
  CHECK_EQ(ct.owners[0].count, ct.share);
  CHECK_EQ(ct.stats.evicted, 2 * ct.share);
  CHECK_EQ(ct.owners[1].count, 10); /* none of owner 1's entries was taken */
  struct ct_tuple first = tuple(IP_PROTO_UDP, 2, 1, 1);
  CHECK_EQ(ct_lookup_in(&ct, &first, 1), CT_NONE); /* owner 0's oldest went first */
  for (uint16_t p = 1; p <= 10; p++) {
    struct ct_tuple t = tuple(IP_PROTO_UDP, 3, p, 53);
    CHECK(ct_lookup_in(&ct, &t, 1) != CT_NONE);
  }
  /* Owner 1 can still fill its whole share while owner 0 sits on its own. */
  for (uint32_t n = 10; n < ct.share; n++) {
    struct ct_tuple t = tuple(IP_PROTO_TCP, 3, (uint16_t)(n + 1), 80);
    CHECK_MSG(ct_create(&ct, 1, &t, false, 0, &idx) == CT_OK, "owner 1 entry %u", n);
  }
  CHECK_EQ(ct.owners[1].count, ct.share);
  CHECK_EQ(ct.used, CT_CAPACITY);
  CHECK_EQ(ct.stats.evicted, 2 * ct.share);
  CHECK(consistent(1));
  /* Recently used entries survive eviction: touch owner 1's first, flood once more. */
  struct ct_tuple keep = tuple(IP_PROTO_UDP, 3, 1, 53);
  uint16_t k = ct_lookup_in(&ct, &keep, 1);
  ct_touch(&ct, k, CT_FROM_INSIDE, 0, 2);
  struct ct_tuple more = tuple(IP_PROTO_ICMP, 3, 9, 0);
  CHECK_EQ(ct_create(&ct, 1, &more, false, 2, &idx), CT_OK);
  CHECK_EQ(ct_lookup_in(&ct, &keep, 3), k);
  struct ct_tuple second = tuple(IP_PROTO_UDP, 3, 2, 53);
  CHECK_EQ(ct_lookup_in(&ct, &second, 3), CT_NONE);
}

static void test_port_allocation(void)
{
  ct_init(&ct, 1, 0);
  uint16_t idx;
  /* Wrap: the cursor at the top of the range goes on at the bottom. */
  ct.next_port[1] = CT_PORT_HI - 1;
  uint16_t got[4];
  for (int i = 0; i < 4; i++) {
    struct ct_tuple t = tuple(IP_PROTO_TCP, 2, (uint16_t)(100 + i), 80);
    CHECK_EQ(ct_create(&ct, 0, &t, false, 0, &idx), CT_OK);
    got[i] = ct.e[idx].t.out_port;
  }
  CHECK_EQ(got[0], CT_PORT_HI - 1);
  CHECK_EQ(got[1], CT_PORT_HI);
  CHECK_EQ(got[2], CT_PORT_LO);
  CHECK_EQ(got[3], CT_PORT_LO + 1);
  /* A live port is never handed out again: send the cursor back over the ports in use. */
  ct.next_port[1] = CT_PORT_HI - 1;
  struct ct_tuple t = tuple(IP_PROTO_TCP, 2, 200, 80);
  CHECK_EQ(ct_create(&ct, 0, &t, false, 0, &idx), CT_OK);
  CHECK_EQ(ct.e[idx].t.out_port, CT_PORT_LO + 2);
  /* Ports are per protocol: UDP may use the same number. */
  ct.next_port[2] = CT_PORT_HI;
  struct ct_tuple u = tuple(IP_PROTO_UDP, 2, 200, 80);
  CHECK_EQ(ct_create(&ct, 0, &u, false, 0, &idx), CT_OK);
  CHECK_EQ(ct.e[idx].t.out_port, CT_PORT_HI);
  /* A reserved (published) port is skipped. */
  ct_reserve_port(&ct, IP_PROTO_TCP, CT_PORT_LO + 3);
  ct_reserve_port(&ct, IP_PROTO_TCP, 80); /* outside the range: nothing to do */
  struct ct_tuple t2 = tuple(IP_PROTO_TCP, 2, 201, 80);
  CHECK_EQ(ct_create(&ct, 0, &t2, false, 0, &idx), CT_OK);
  CHECK_EQ(ct.e[idx].t.out_port, CT_PORT_LO + 4);
  /* A freed port can be handed out again; a reserved one stays reserved after an inbound entry
   * on it goes. */
  struct ct_tuple in = tuple(IP_PROTO_TCP, 3, 22, 9999);
  in.out_port = CT_PORT_LO + 3;
  CHECK_EQ(ct_create(&ct, 0, &in, true, 0, &idx), CT_OK);
  CHECK_EQ(ct_expire(&ct, CT_TIMEOUT_TCP_SYN), 8);
  CHECK_EQ(ct.used, 0);
  ct.next_port[1] = CT_PORT_LO + 3;
  CHECK_EQ(ct_create(&ct, 0, &t, false, CT_TIMEOUT_TCP_SYN, &idx), CT_OK);
  CHECK_EQ(ct.e[idx].t.out_port, CT_PORT_LO + 4);
  ct.next_port[1] = CT_PORT_HI;
  CHECK_EQ(ct_create(&ct, 0, &t2, false, CT_TIMEOUT_TCP_SYN, &idx), CT_OK);
  CHECK_EQ(ct.e[idx].t.out_port, CT_PORT_HI);
  /* Every port taken: refused, counted, and nothing half-made. */
  for (uint32_t p = CT_PORT_LO; p <= CT_PORT_HI; p++)
    ct_reserve_port(&ct, IP_PROTO_UDP, (uint16_t)p);
  uint32_t before = ct.used;
  struct ct_tuple u2 = tuple(IP_PROTO_UDP, 2, 300, 53);
  CHECK_EQ(ct_create(&ct, 0, &u2, false, CT_TIMEOUT_TCP_SYN, &idx), CT_NO_PORT);
  CHECK_EQ(ct.used, before);
  CHECK_EQ(ct.stats.refused_ports, 1);
  CHECK(consistent(CT_TIMEOUT_TCP_SYN));
}

static void test_churn(void)
{
  /* Random creates, touches, lookups and expiry over many owners; the table stays whole. */
  ct_init(&ct, 7, 42);
  srand(3);
  uint64_t now = 0;
  for (int i = 0; i < 60000; i++) {
    now += (uint64_t)(rand() % 4) * CT_SECOND / 1000 + (i % 5000 == 0 ? 100 * CT_SECOND : 0);
    struct ct_tuple t = tuple((uint8_t[]){IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP}[rand() % 3],
                              (uint8_t)(rand() % 8), (uint16_t)(rand() % 3000), (uint16_t)(rand() % 4));
    uint16_t idx = ct_lookup_in(&ct, &t, now);
    if (idx == CT_NONE)
      ct_create(&ct, (uint16_t)(t.in_ip[3] % 7), &t, false, now, &idx);
    else
      ct_touch(&ct, idx, rand() % 2 ? CT_FROM_INSIDE : CT_FROM_OUTSIDE, (uint8_t)rand(), now);
    if (i % 1000 == 0)
      ct_expire(&ct, now);
    if (i % 10000 == 0)
      CHECK(consistent(now));
  }
  CHECK(consistent(now));
  CHECK_MSG(ct.stats.evicted > 0 && ct.stats.expired > 0, "evicted %llu expired %llu used %u", (unsigned long long)ct.stats.evicted, (unsigned long long)ct.stats.expired, ct.used);
}

void run_conntrack_tests(void)
{
  RUN(test_keys_and_ports);
  RUN(test_timeouts);
  RUN(test_shares);
  RUN(test_port_allocation);
  RUN(test_churn);
}
