/*
 * D0's connection tracking: one fixed table of the flows NAT'd between the containers and the
 * uplink. An entry names a flow from both sides:
 *   inside  (proto, container IP, container port, remote IP, remote port): what a container sends;
 *   outside (proto, remote IP, remote port, uplink port): what arrives at D0's uplink address.
 * "Port" is the TCP/UDP port, or the ICMP echo identifier (remote port 0). An outbound flow gets
 * its uplink port allocated here (SNAT); a flow a published port let in has the published port
 * as its uplink port and the container port as its inside port (DNAT).
 *
 * Both keys are hashed (seeded, so the uplink cannot aim at one bucket without the seed) into
 * chained buckets: lookups walk one short chain. Entries expire by protocol and TCP state (a
 * lookup never returns an expired entry; ct_expire frees them). Each owner (container) may hold
 * at most its share, CT_CAPACITY / n_owners entries; an owner at its share that opens a flow
 * evicts its own least recently used entry, never another owner's, so the shares always fit and
 * a container flooding new flows cannot take another's place.
 *
 * SNAT ports come from CT_PORT_LO..CT_PORT_HI, per protocol, from a cursor that wraps; a port
 * is never handed out while a live entry holds it, nor when reserved (a published port).
 * Pure code: no device, no log, no allocation. Not thread-safe (one caller at a time).
 */
#ifndef D0_NET_CONNTRACK_H
#define D0_NET_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#define CT_CAPACITY 4096
#define CT_BUCKETS 4096 /* a power of two, per key */
#define CT_NONE 0xffff  /* no entry */
#define CT_MAX_OWNERS 64
#define CT_PORT_LO 32768
#define CT_PORT_HI 60999
#define CT_PORTS (CT_PORT_HI - CT_PORT_LO + 1)

#define CT_SECOND 1000000000ull
/* Idle timeouts, from the last packet of the flow. */
#define CT_TIMEOUT_ICMP (30 * CT_SECOND)
#define CT_TIMEOUT_UDP (30 * CT_SECOND)          /* one direction seen */
#define CT_TIMEOUT_UDP_REPLIED (180 * CT_SECOND) /* both directions seen */
#define CT_TIMEOUT_TCP_SYN (60 * CT_SECOND)      /* opened, not yet answered with an ACK */
#define CT_TIMEOUT_TCP_ESTABLISHED (7200 * CT_SECOND)
#define CT_TIMEOUT_TCP_CLOSING (120 * CT_SECOND) /* a FIN seen */
#define CT_TIMEOUT_TCP_CLOSED (10 * CT_SECOND)   /* a RST seen */

enum ct_tcp_state { CT_TCP_SYN, CT_TCP_ESTABLISHED, CT_TCP_CLOSING, CT_TCP_CLOSED };

/* Which side a packet of a flow came from. */
enum ct_dir { CT_FROM_INSIDE, CT_FROM_OUTSIDE };

struct ct_tuple {
  uint8_t proto; /* IP_PROTO_ICMP, _TCP or _UDP */
  uint8_t in_ip[4];
  uint16_t in_port;
  uint8_t rem_ip[4];
  uint16_t rem_port;
  uint16_t out_port;
};

struct ct_entry {
  struct ct_tuple t;
  bool used;
  bool inbound; /* opened from the uplink through a published port */
  bool replied; /* a packet came from the side that did not open it */
  uint8_t tcp_state;
  uint16_t owner;
  uint16_t next_in, next_out;   /* bucket chains (next_in also links the free list) */
  uint16_t lru_prev, lru_next;  /* the owner's entries, least recently used first */
  uint64_t expires_ns;
};

struct ct_owner {
  uint16_t lru_head, lru_tail;
  uint32_t count;
};

struct ct_stats {
  uint64_t created, expired, evicted;
  uint64_t refused_ports; /* no SNAT port free in the range */
};

struct conntrack {
  struct ct_entry e[CT_CAPACITY];
  uint16_t head_in[CT_BUCKETS], head_out[CT_BUCKETS];
  uint16_t free_head;
  uint32_t used;
  uint32_t n_owners, share;
  struct ct_owner owners[CT_MAX_OWNERS];
  uint64_t seed;
  uint16_t next_port[3];                  /* cursor per protocol (ICMP, TCP, UDP) */
  uint8_t port_taken[3][(CT_PORTS + 7) / 8]; /* live or reserved, per protocol */
  uint8_t port_reserved[3][(CT_PORTS + 7) / 8];
  struct ct_stats stats;
};

/* An empty table for n_owners (1..CT_MAX_OWNERS) owners; seed keys the hashes and the first
 * SNAT ports (give it something the uplink cannot guess). */
void ct_init(struct conntrack *ct, uint32_t n_owners, uint64_t seed);

/* Never allocate port as a SNAT port for proto (a published uplink port). */
void ct_reserve_port(struct conntrack *ct, uint8_t proto, uint16_t port);

/* The live entry of a key, or CT_NONE (an expired one found on the way is freed). */
uint16_t ct_lookup_in(struct conntrack *ct, const struct ct_tuple *t, uint64_t now_ns);
uint16_t ct_lookup_out(struct conntrack *ct, const struct ct_tuple *t, uint64_t now_ns);

enum ct_result { CT_OK, CT_FULL, CT_NO_PORT };

/*
 * A new entry for owner, TCP state CT_TCP_SYN: an outbound one (inbound false) gets its out_port
 * allocated (t->out_port ignored); an inbound one keeps t->out_port (a published port, required).
 * The caller looked both keys up first. On CT_OK *idx is the entry; when the owner is at its
 * share, its least recently used entry is evicted first (stats.evicted). CT_FULL: a bad request
 * (owner out of range, not ICMP/TCP/UDP, inbound without a port); CT_NO_PORT: every SNAT port of
 * the protocol is taken (stats.refused_ports).
 */
enum ct_result ct_create(struct conntrack *ct, uint16_t owner, const struct ct_tuple *t, bool inbound,
                         uint64_t now_ns, uint16_t *idx);

/* A packet of entry idx from side dir with TCP flags (0 for others): TCP state, timeout, and
 * the owner's recency. */
void ct_touch(struct conntrack *ct, uint16_t idx, enum ct_dir dir, uint8_t tcp_flags, uint64_t now_ns);

/* Frees every entry whose timeout has passed; how many. One pass over the table. */
uint32_t ct_expire(struct conntrack *ct, uint64_t now_ns);

#endif /* D0_NET_CONNTRACK_H */
