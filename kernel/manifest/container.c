/* The Container scope (0x05): one micro-VM, with its repeated routes, published ports and egress
 * rules (each ascending strictly by its key, proto/TLV.md "Canonical form") and its rate limits. */
#include "d0/lib.h"
#include "parse.h"

static const struct tlv_field CONTAINER_FIELDS[] = {
    {TLV_CONTAINER_NAME, 1, 1, false},
    {TLV_CONTAINER_VCPU, 1, 1, false},
    {TLV_CONTAINER_MEM_MB, 1, 1, false},
    {TLV_CONTAINER_DISK_PATH, 1, 1, false},
    {TLV_CONTAINER_DISK_SHA256, 1, 1, false},
    {TLV_CONTAINER_DISK_SIZE, 1, 1, false},
    {TLV_CONTAINER_MAC, 1, 1, false},
    {TLV_CONTAINER_IP4, 1, 1, false},
    {TLV_CONTAINER_GW4, 0, 1, false},
    {TLV_CONTAINER_ROUTES, TLV_CONTAINER_ROUTES_MIN_COUNT, TLV_CONTAINER_ROUTES_MAX_COUNT, true},
    {TLV_CONTAINER_BOOT_ORDER, 1, 1, false},
    {TLV_CONTAINER_HEALTH_TIMEOUT_S, 1, 1, false},
    {TLV_CONTAINER_HEALTH, 1, 1, false},
    {TLV_CONTAINER_RESTART, 0, 1, false},
    {TLV_CONTAINER_PUBLISH, TLV_CONTAINER_PUBLISH_MIN_COUNT, TLV_CONTAINER_PUBLISH_MAX_COUNT,
     true},
    {TLV_CONTAINER_EGRESS_RESTRICTED, 0, 1, false},
    {TLV_CONTAINER_EGRESS_ALLOW, TLV_CONTAINER_EGRESS_ALLOW_MIN_COUNT,
     TLV_CONTAINER_EGRESS_ALLOW_MAX_COUNT, true},
    {TLV_CONTAINER_TX_LIMIT, 0, 1, false},
    {TLV_CONTAINER_RX_LIMIT, 0, 1, false},
};

/* Sort keys: the key fields' values concatenated, integers big-endian so that bytewise order is
 * numeric order (proto/TLV.md "Canonical form"). */
#define ROUTE_KEY_LEN 9   /* dest (ip4cidr, 5 bytes) | via (ip4, 4 bytes) */
#define PUBLISH_KEY_LEN 3 /* protocol | uplink_port (big-endian) */
#define EGRESS_KEY_LEN 10 /* dest (5) | protocol | port_lo (BE) | port_hi (BE) */

struct container_ctx {
  struct d0_container *c;
  /* Entries past their maximum are still parsed (an error inside one comes before COUNT,
   * which is only known when the scope ends) but land here. */
  struct d0_route overflow_route;
  struct d0_publish overflow_publish;
  struct d0_egress_rule overflow_egress;
  uint8_t prev_route[ROUTE_KEY_LEN];
  uint8_t prev_publish[PUBLISH_KEY_LEN];
  uint8_t prev_egress[EGRESS_KEY_LEN];
};

static void put_be16(uint8_t *out, uint16_t x) {
  out[0] = (uint8_t)(x >> 8);
  out[1] = (uint8_t)x;
}

/* The nth entry (0-based) of a repeated field, whose key is key[len], against the previous one
 * kept in prev: ORDER if it sorts before it, DUPLICATE if equal. Then it becomes prev. */
static int entry_order(struct tlv_parser *p, uint8_t *prev, const uint8_t *key, size_t len,
                       uint32_t nth, size_t rec_offset, uint16_t tag) {
  if (nth > 0) {
    int cmp = memcmp(prev, key, len);
    if (cmp == 0)
      return tlv_fail(p, TLV_E_DUPLICATE, rec_offset, tag);
    if (cmp > 0)
      return tlv_fail(p, TLV_E_ORDER, rec_offset, tag);
  }
  memcpy(prev, key, len);
  return 0;
}

static int route_entry(struct tlv_parser *p, struct container_ctx *ctx, uint32_t nth,
                       struct d0_cursor *v, size_t rec_offset) {
  struct d0_route *r = nth < TLV_MAX_ROUTES ? &ctx->c->routes[nth] : &ctx->overflow_route;
  memset(r, 0, sizeof *r);
  TRY(route_parse(p, r, *v, rec_offset));
  uint8_t key[ROUTE_KEY_LEN];
  memcpy(key, r->dest.addr, 4);
  key[4] = r->dest.prefix;
  memcpy(key + 5, r->via, 4);
  TRY(entry_order(p, ctx->prev_route, key, sizeof key, nth, rec_offset, TLV_CONTAINER_ROUTES));
  if (nth < TLV_MAX_ROUTES)
    ctx->c->n_routes = nth + 1;
  return 0;
}

static int publish_entry(struct tlv_parser *p, struct container_ctx *ctx, uint32_t nth,
                         struct d0_cursor *v, size_t rec_offset) {
  struct d0_publish *pub =
      nth < TLV_MAX_PUBLISH ? &ctx->c->publish[nth] : &ctx->overflow_publish;
  memset(pub, 0, sizeof *pub);
  TRY(publish_parse(p, pub, *v, rec_offset));
  uint8_t key[PUBLISH_KEY_LEN];
  key[0] = pub->proto;
  put_be16(key + 1, pub->uplink_port);
  TRY(entry_order(p, ctx->prev_publish, key, sizeof key, nth, rec_offset,
                  TLV_CONTAINER_PUBLISH));
  if (nth < TLV_MAX_PUBLISH)
    ctx->c->n_publish = nth + 1;
  return 0;
}

static int egress_entry(struct tlv_parser *p, struct container_ctx *ctx, uint32_t nth,
                        struct d0_cursor *v, size_t rec_offset) {
  struct d0_egress_rule *r =
      nth < TLV_MAX_EGRESS ? &ctx->c->egress[nth] : &ctx->overflow_egress;
  memset(r, 0, sizeof *r);
  TRY(egress_rule_parse(p, r, *v, rec_offset));
  uint8_t key[EGRESS_KEY_LEN];
  memcpy(key, r->dest.addr, 4);
  key[4] = r->dest.prefix;
  key[5] = r->proto;
  put_be16(key + 6, r->port_lo);
  put_be16(key + 8, r->port_hi);
  TRY(entry_order(p, ctx->prev_egress, key, sizeof key, nth, rec_offset,
                  TLV_CONTAINER_EGRESS_ALLOW));
  if (nth < TLV_MAX_EGRESS)
    ctx->c->n_egress = nth + 1;
  return 0;
}

static int container_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                           struct d0_cursor *v, size_t rec_offset) {
  struct container_ctx *ctx = obj;
  struct d0_container *c = ctx->c;
  switch (CONTAINER_FIELDS[index].tag) {
  case TLV_CONTAINER_NAME:
    return tlv_value_name(v, c->name);
  case TLV_CONTAINER_VCPU:
    return tlv_value_u32(v, TLV_CONTAINER_VCPU_MIN, TLV_CONTAINER_VCPU_MAX, &c->vcpu);
  case TLV_CONTAINER_MEM_MB:
    return tlv_value_u32(v, TLV_CONTAINER_MEM_MB_MIN, TLV_CONTAINER_MEM_MB_MAX, &c->mem_mb);
  case TLV_CONTAINER_DISK_PATH:
    return tlv_value_path(v, c->disk_path);
  case TLV_CONTAINER_DISK_SHA256:
    return tlv_value_sha256(v, c->disk_sha256);
  case TLV_CONTAINER_DISK_SIZE:
    return tlv_value_u64(v, TLV_CONTAINER_DISK_SIZE_MIN, TLV_CONTAINER_DISK_SIZE_MAX,
                         &c->disk_size);
  case TLV_CONTAINER_MAC:
    return tlv_value_mac(v, c->mac);
  case TLV_CONTAINER_IP4:
    return tlv_value_ip4cidr(v, &c->ip4);
  case TLV_CONTAINER_GW4:
    c->has_gw = true;
    return tlv_value_ip4(v, c->gw4);
  case TLV_CONTAINER_ROUTES:
    return route_entry(p, ctx, nth, v, rec_offset);
  case TLV_CONTAINER_BOOT_ORDER:
    return tlv_value_u32(v, TLV_CONTAINER_BOOT_ORDER_MIN, TLV_CONTAINER_BOOT_ORDER_MAX,
                         &c->boot_order);
  case TLV_CONTAINER_HEALTH_TIMEOUT_S:
    return tlv_value_u32(v, TLV_CONTAINER_HEALTH_TIMEOUT_S_MIN,
                         TLV_CONTAINER_HEALTH_TIMEOUT_S_MAX, &c->health_timeout_s);
  case TLV_CONTAINER_HEALTH:
    return tlv_value_u8enum(v, TLV_HEALTH_KIND_MAX, &c->health);
  case TLV_CONTAINER_RESTART:
    c->has_restart = true;
    return tlv_value_u8enum(v, TLV_RESTART_POLICY_MAX, &c->restart);
  case TLV_CONTAINER_PUBLISH:
    return publish_entry(p, ctx, nth, v, rec_offset);
  case TLV_CONTAINER_EGRESS_RESTRICTED:
    return tlv_value_flag(v, &c->egress_restricted);
  case TLV_CONTAINER_EGRESS_ALLOW:
    return egress_entry(p, ctx, nth, v, rec_offset);
  case TLV_CONTAINER_TX_LIMIT:
    c->has_tx_limit = true;
    return rate_limit_parse(p, &c->tx_limit, *v, rec_offset);
  case TLV_CONTAINER_RX_LIMIT:
    c->has_rx_limit = true;
    return rate_limit_parse(p, &c->rx_limit, *v, rec_offset);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope CONTAINER_SCOPE = {
    CONTAINER_FIELDS, sizeof CONTAINER_FIELDS / sizeof CONTAINER_FIELDS[0], container_field};

_Static_assert(sizeof CONTAINER_FIELDS / sizeof CONTAINER_FIELDS[0] <= TLV_SCOPE_MAX_FIELDS,
               "scope walker counts at most TLV_SCOPE_MAX_FIELDS fields");

int container_parse(struct tlv_parser *p, struct d0_container *c, struct d0_cursor value,
                    size_t rec_offset) {
  struct container_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.c = c;
  return tlv_parse_scope(p, &CONTAINER_SCOPE, &ctx, value, rec_offset);
}
