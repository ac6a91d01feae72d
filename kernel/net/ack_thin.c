/* Thinning of redundant TCP ACKs within one receive batch (contract in ack_thin.h). */
#include "net/ack_thin.h"

#include "d0/lib.h"
#include "net/pkt.h"

#define IP4_TOS 1
#define TCP_SEQ 4
#define TCP_ACKNO 8
#define TCP_DOFF 12
#define TCP_FLAGS 13
#define TCP_WIN 14
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_TS 8
#define TCP_OPT_TS_LEN 10
#define ECN_CE 3

/* a after b in sequence space (RFC 1982): a - b taken as signed is positive. */
static bool after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* The connection of a TCP/IPv4 frame (addresses and ports, as received) at key[12]; false when
 * the frame is not TCP over IPv4 or too short to tell. Nothing else is checked: this only
 * decides which held ACK must go out first. */
static bool conn_key(const uint8_t *f, uint32_t len, uint8_t key[12])
{
  if (len < ETH_HDR + IP4_MIN_HDR || pkt_be16(f + 12) != ETHERTYPE_IPV4)
    return false;
  const uint8_t *ip = f + ETH_HDR;
  uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
  if (ip[9] != IP_PROTO_TCP || ihl < IP4_MIN_HDR || len < ETH_HDR + ihl + 4)
    return false;
  memcpy(key, ip + 12, 8);
  memcpy(key + 8, ip + ihl, 4);
  return true;
}

/* The TCP options of a pure ACK: NOP, EOL (then only padding) and at most one timestamp. */
static bool parse_options(const uint8_t *o, uint32_t n, struct ackthin_ack *a)
{
  for (uint32_t i = 0; i < n;) {
    if (o[i] == TCP_OPT_EOL)
      return true;
    if (o[i] == TCP_OPT_NOP) {
      i++;
      continue;
    }
    if (o[i] != TCP_OPT_TS || a->ts || n - i < TCP_OPT_TS_LEN || o[i + 1] != TCP_OPT_TS_LEN)
      return false;
    a->ts = true;
    a->tsval = pkt_be32(o + i + 2);
    a->tsecr = pkt_be32(o + i + 6);
    i += TCP_OPT_TS_LEN;
  }
  return true;
}

/* Whether frame (already copied to buf, len <= ACKTHIN_MAX_FRAME) is a pure ACK (ack_thin.h,
 * "Held"); fills a. */
static bool pure_ack(uint8_t *buf, uint32_t len, struct ackthin_ack *a)
{
  if (len < ETH_HDR + IP4_MIN_HDR + TCP_MIN_HDR || pkt_be16(buf + 12) != ETHERTYPE_IPV4)
    return false;
  struct pkt_ip4 ip;
  if (pkt_ip4_parse(buf, len, &ip) != PKT_OK) /* lengths, header and TCP checksums */
    return false;
  if (ip.ihl != IP4_MIN_HDR || ip.proto != IP_PROTO_TCP || (ip.hdr[IP4_TOS] & ECN_CE) == ECN_CE)
    return false;
  const uint8_t *t = ip.l4;
  uint32_t doff = (uint32_t)(t[TCP_DOFF] >> 4) * 4;
  if (doff != ip.l4_len || t[TCP_FLAGS] != TCP_ACK)
    return false; /* a payload, or flags beyond ACK */
  *a = (struct ackthin_ack){.seq = pkt_be32(t + TCP_SEQ), .ack = pkt_be32(t + TCP_ACKNO),
                         .win = pkt_be16(t + TCP_WIN)};
  return parse_options(t + TCP_MIN_HDR, doff - TCP_MIN_HDR, a);
}

/* Whether newer says everything older said (ack_thin.h, "Superseded"). */
static bool supersedes(const struct ackthin_ack *newer, const struct ackthin_ack *older)
{
  if (newer->seq != older->seq || !after(newer->ack, older->ack) || newer->win < older->win)
    return false;
  if (!newer->ts && !older->ts)
    return true;
  return newer->ts && older->ts && !after(older->tsval, newer->tsval) &&
         !after(older->tsecr, newer->tsecr);
}

static void send_slot(struct ackthin_slot *s, ackthin_out_fn out, void *ctx)
{
  s->used = false;
  out(ctx, s->frame, s->len);
}

void ackthin_offer(struct ackthin *t, const uint8_t *frame, uint32_t len, ackthin_out_fn out,
                   void *ctx)
{
  uint8_t key[12];
  if (!conn_key(frame, len, key)) {
    out(ctx, frame, len);
    return;
  }
  struct ackthin_slot *held = NULL;
  for (uint32_t i = 0; i < ACKTHIN_SLOTS && held == NULL; i++)
    if (t->slot[i].used && memcmp(t->slot[i].key, key, 12) == 0)
      held = &t->slot[i];
  uint8_t buf[ACKTHIN_MAX_FRAME];
  struct ackthin_ack now;
  bool ack = len <= ACKTHIN_MAX_FRAME && (memcpy(buf, frame, len), pure_ack(buf, len, &now));
  if (!ack) {
    if (held != NULL)
      send_slot(held, out, ctx); /* the connection's order: the held ACK came first */
    out(ctx, frame, len);
    return;
  }
  if (held != NULL) {
    if (supersedes(&now, &held->a)) {
      memcpy(held->frame, buf, len);
      held->len = len;
      held->a = now;
      t->thinned++;
      return;
    }
    send_slot(held, out, ctx); /* a duplicate ACK, a smaller window: both go */
  } else {
    /* A free slot, or the oldest held sent to make one. */
    for (uint32_t i = 0; i < ACKTHIN_SLOTS; i++)
      if (!t->slot[i].used) {
        held = &t->slot[i];
        break;
      }
    if (held == NULL) {
      held = &t->slot[0];
      for (uint32_t i = 1; i < ACKTHIN_SLOTS; i++)
        if (t->slot[i].order - t->next_order < held->order - t->next_order)
          held = &t->slot[i];
      send_slot(held, out, ctx);
    }
  }
  held->used = true;
  held->len = len;
  held->order = t->next_order++;
  held->a = now;
  memcpy(held->key, key, 12);
  memcpy(held->frame, buf, len);
}

void ackthin_flush(struct ackthin *t, ackthin_out_fn out, void *ctx)
{
  for (;;) {
    struct ackthin_slot *first = NULL;
    for (uint32_t i = 0; i < ACKTHIN_SLOTS; i++)
      if (t->slot[i].used &&
          (first == NULL || t->slot[i].order - t->next_order < first->order - t->next_order))
        first = &t->slot[i];
    if (first == NULL)
      return;
    send_slot(first, out, ctx);
  }
}
