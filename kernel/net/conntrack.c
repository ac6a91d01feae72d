/* Connection tracking: fixed table, two hashed keys, per-owner shares (contract in conntrack.h). */
#include "net/conntrack.h"

#include "d0/lib.h"
#include "net/pkt.h"

_Static_assert(CT_CAPACITY < CT_NONE, "entry indexes must fit below CT_NONE");
_Static_assert((CT_BUCKETS & (CT_BUCKETS - 1)) == 0, "CT_BUCKETS must be a power of two");

static int proto_index(uint8_t proto)
{
  switch (proto) {
  case IP_PROTO_ICMP: return 0;
  case IP_PROTO_TCP: return 1;
  case IP_PROTO_UDP: return 2;
  default: return -1;
  }
}

static uint64_t mix(uint64_t h, uint32_t v)
{
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

static uint32_t ip_word(const uint8_t ip[4])
{
  return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
}

static uint32_t hash_in(const struct conntrack *ct, const struct ct_tuple *t)
{
  uint64_t h = mix(ct->seed, (uint32_t)t->proto << 16 | t->in_port);
  h = mix(h, ip_word(t->in_ip));
  h = mix(h, ip_word(t->rem_ip));
  h = mix(h, t->rem_port);
  return (uint32_t)(h >> 32) & (CT_BUCKETS - 1);
}

static uint32_t hash_out(const struct conntrack *ct, const struct ct_tuple *t)
{
  uint64_t h = mix(~ct->seed, (uint32_t)t->proto << 16 | t->out_port);
  h = mix(h, ip_word(t->rem_ip));
  h = mix(h, t->rem_port);
  return (uint32_t)(h >> 32) & (CT_BUCKETS - 1);
}

static bool same_in(const struct ct_tuple *a, const struct ct_tuple *b)
{
  return a->proto == b->proto && a->in_port == b->in_port && a->rem_port == b->rem_port &&
         memcmp(a->in_ip, b->in_ip, 4) == 0 && memcmp(a->rem_ip, b->rem_ip, 4) == 0;
}

static bool same_out(const struct ct_tuple *a, const struct ct_tuple *b)
{
  return a->proto == b->proto && a->out_port == b->out_port && a->rem_port == b->rem_port &&
         memcmp(a->rem_ip, b->rem_ip, 4) == 0;
}

static bool bit(const uint8_t *map, uint32_t i) { return map[i / 8] >> (i % 8) & 1; }
static void set_bit(uint8_t *map, uint32_t i, bool on)
{
  if (on)
    map[i / 8] |= (uint8_t)(1u << (i % 8));
  else
    map[i / 8] &= (uint8_t)~(1u << (i % 8));
}

void ct_init(struct conntrack *ct, uint32_t n_owners, uint64_t seed)
{
  memset(ct, 0, sizeof(*ct));
  if (n_owners > CT_MAX_OWNERS)
    n_owners = CT_MAX_OWNERS;
  ct->n_owners = n_owners;
  ct->share = n_owners ? CT_CAPACITY / n_owners : 0;
  ct->seed = seed;
  for (uint32_t i = 0; i < CT_BUCKETS; i++)
    ct->head_in[i] = ct->head_out[i] = CT_NONE;
  for (uint32_t i = 0; i < CT_CAPACITY; i++)
    ct->e[i].next_in = i + 1 < CT_CAPACITY ? (uint16_t)(i + 1) : CT_NONE;
  ct->free_head = 0;
  for (uint32_t i = 0; i < CT_MAX_OWNERS; i++)
    ct->owners[i].lru_head = ct->owners[i].lru_tail = CT_NONE;
  for (uint32_t p = 0; p < 3; p++)
    ct->next_port[p] = (uint16_t)(CT_PORT_LO + (uint32_t)(mix(seed, p) >> 32) % CT_PORTS);
}

void ct_reserve_port(struct conntrack *ct, uint8_t proto, uint16_t port)
{
  int p = proto_index(proto);
  if (p < 0 || port < CT_PORT_LO || port > CT_PORT_HI)
    return;
  set_bit(ct->port_reserved[p], port - CT_PORT_LO, true);
  set_bit(ct->port_taken[p], port - CT_PORT_LO, true);
}

/* Unlinks idx from the chain starting at *head, following the next field at offset which. */
static void unchain(struct conntrack *ct, uint16_t *head, uint16_t idx, bool in)
{
  uint16_t *link = head;
  while (*link != CT_NONE) {
    if (*link == idx) {
      *link = in ? ct->e[idx].next_in : ct->e[idx].next_out;
      return;
    }
    link = in ? &ct->e[*link].next_in : &ct->e[*link].next_out;
  }
}

static void lru_unlink(struct conntrack *ct, uint16_t idx)
{
  struct ct_entry *e = &ct->e[idx];
  struct ct_owner *o = &ct->owners[e->owner];
  if (e->lru_prev != CT_NONE)
    ct->e[e->lru_prev].lru_next = e->lru_next;
  else
    o->lru_head = e->lru_next;
  if (e->lru_next != CT_NONE)
    ct->e[e->lru_next].lru_prev = e->lru_prev;
  else
    o->lru_tail = e->lru_prev;
}

static void lru_append(struct conntrack *ct, uint16_t idx)
{
  struct ct_entry *e = &ct->e[idx];
  struct ct_owner *o = &ct->owners[e->owner];
  e->lru_prev = o->lru_tail;
  e->lru_next = CT_NONE;
  if (o->lru_tail != CT_NONE)
    ct->e[o->lru_tail].lru_next = idx;
  else
    o->lru_head = idx;
  o->lru_tail = idx;
}

static void release(struct conntrack *ct, uint16_t idx)
{
  struct ct_entry *e = &ct->e[idx];
  unchain(ct, &ct->head_in[hash_in(ct, &e->t)], idx, true);
  unchain(ct, &ct->head_out[hash_out(ct, &e->t)], idx, false);
  lru_unlink(ct, idx);
  ct->owners[e->owner].count--;
  int p = proto_index(e->t.proto);
  uint16_t port = e->t.out_port;
  if (!e->inbound && p >= 0 && port >= CT_PORT_LO && port <= CT_PORT_HI &&
      !bit(ct->port_reserved[p], port - CT_PORT_LO))
    set_bit(ct->port_taken[p], port - CT_PORT_LO, false);
  memset(e, 0, sizeof(*e));
  e->next_in = ct->free_head;
  ct->free_head = idx;
  ct->used--;
}

uint16_t ct_lookup_in(struct conntrack *ct, const struct ct_tuple *t, uint64_t now_ns)
{
  for (uint16_t i = ct->head_in[hash_in(ct, t)]; i != CT_NONE; i = ct->e[i].next_in) {
    if (same_in(&ct->e[i].t, t)) {
      if (ct->e[i].expires_ns > now_ns)
        return i;
      release(ct, i), ct->stats.expired++;
      return CT_NONE;
    }
  }
  return CT_NONE;
}

uint16_t ct_lookup_out(struct conntrack *ct, const struct ct_tuple *t, uint64_t now_ns)
{
  for (uint16_t i = ct->head_out[hash_out(ct, t)]; i != CT_NONE; i = ct->e[i].next_out) {
    if (same_out(&ct->e[i].t, t)) {
      if (ct->e[i].expires_ns > now_ns)
        return i;
      release(ct, i), ct->stats.expired++;
      return CT_NONE;
    }
  }
  return CT_NONE;
}

/* The next free SNAT port of protocol index p from its cursor, wrapping; 0 when none. */
static uint16_t alloc_port(struct conntrack *ct, int p)
{
  uint32_t at = ct->next_port[p];
  for (uint32_t n = 0; n < CT_PORTS; n++) {
    uint32_t port = at;
    at = at == CT_PORT_HI ? CT_PORT_LO : at + 1;
    if (!bit(ct->port_taken[p], port - CT_PORT_LO)) {
      ct->next_port[p] = (uint16_t)at;
      set_bit(ct->port_taken[p], port - CT_PORT_LO, true);
      return (uint16_t)port;
    }
  }
  return 0;
}

static uint64_t timeout(const struct ct_entry *e)
{
  switch (e->t.proto) {
  case IP_PROTO_TCP:
    switch (e->tcp_state) {
    case CT_TCP_SYN: return CT_TIMEOUT_TCP_SYN;
    case CT_TCP_ESTABLISHED: return CT_TIMEOUT_TCP_ESTABLISHED;
    case CT_TCP_CLOSING: return CT_TIMEOUT_TCP_CLOSING;
    default: return CT_TIMEOUT_TCP_CLOSED;
    }
  case IP_PROTO_UDP: return e->replied ? CT_TIMEOUT_UDP_REPLIED : CT_TIMEOUT_UDP;
  default: return CT_TIMEOUT_ICMP;
  }
}

enum ct_result ct_create(struct conntrack *ct, uint16_t owner, const struct ct_tuple *t, bool inbound,
                         uint64_t now_ns, uint16_t *idx)
{
  int p = proto_index(t->proto);
  if (owner >= ct->n_owners || ct->share == 0 || p < 0 || (inbound && t->out_port == 0))
    return CT_FULL;
  struct ct_owner *o = &ct->owners[owner];
  if (o->count >= ct->share) {
    release(ct, o->lru_head);
    ct->stats.evicted++;
  }
  /* The shares sum to at most CT_CAPACITY, so an owner under its share always finds room. */
  if (ct->free_head == CT_NONE)
    return CT_FULL;
  uint16_t port = inbound ? t->out_port : alloc_port(ct, p);
  if (port == 0) {
    ct->stats.refused_ports++;
    return CT_NO_PORT;
  }
  uint16_t i = ct->free_head;
  struct ct_entry *e = &ct->e[i];
  ct->free_head = e->next_in;
  memset(e, 0, sizeof(*e));
  e->t = *t;
  e->t.out_port = port;
  e->used = true;
  e->inbound = inbound;
  e->owner = owner;
  e->tcp_state = CT_TCP_SYN;
  e->expires_ns = now_ns + timeout(e);
  uint32_t hi = hash_in(ct, &e->t), ho = hash_out(ct, &e->t);
  e->next_in = ct->head_in[hi];
  ct->head_in[hi] = i;
  e->next_out = ct->head_out[ho];
  ct->head_out[ho] = i;
  lru_append(ct, i);
  o->count++;
  ct->used++;
  ct->stats.created++;
  *idx = i;
  return CT_OK;
}

void ct_touch(struct conntrack *ct, uint16_t idx, enum ct_dir dir, uint8_t tcp_flags, uint64_t now_ns)
{
  struct ct_entry *e = &ct->e[idx];
  bool reply = (dir == CT_FROM_OUTSIDE) != e->inbound;
  if (e->t.proto == IP_PROTO_TCP) {
    bool syn = (tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;
    if (syn && !reply && e->tcp_state >= CT_TCP_CLOSING) {
      /* The opener reuses the five-tuple of a flow that ended: a new connection. */
      e->tcp_state = CT_TCP_SYN;
      e->replied = false;
    } else if (tcp_flags & TCP_RST) {
      e->tcp_state = CT_TCP_CLOSED;
    } else if ((tcp_flags & TCP_FIN) && e->tcp_state != CT_TCP_CLOSED) {
      e->tcp_state = CT_TCP_CLOSING;
    } else if (e->tcp_state == CT_TCP_SYN && reply && (tcp_flags & TCP_ACK)) {
      e->tcp_state = CT_TCP_ESTABLISHED;
    }
  }
  if (reply)
    e->replied = true;
  e->expires_ns = now_ns + timeout(e);
  lru_unlink(ct, idx);
  lru_append(ct, idx);
}

uint32_t ct_expire(struct conntrack *ct, uint64_t now_ns)
{
  uint32_t n = 0;
  for (uint32_t i = 0; i < CT_CAPACITY; i++) {
    if (ct->e[i].used && ct->e[i].expires_ns <= now_ns) {
      release(ct, (uint16_t)i);
      n++;
    }
  }
  ct->stats.expired += n;
  return n;
}
