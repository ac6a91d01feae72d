/* The Container scope (0x05): one micro-VM, with its repeated routes. */
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
};

#define ROUTE_KEY_LEN 9 /* dest (ip4cidr, 5 bytes) | via (ip4, 4 bytes), as encoded */

struct container_ctx {
  struct d0_container *c;
  /* Routes past TLV_MAX_ROUTES are still parsed (an error inside one comes before COUNT,
   * which is only known when the scope ends) but land here. */
  struct d0_route overflow_route;
  uint8_t prev_key[ROUTE_KEY_LEN];
};

static void route_key(uint8_t key[ROUTE_KEY_LEN], const struct d0_route *r) {
  memcpy(key, r->dest.addr, 4);
  key[4] = r->dest.prefix;
  memcpy(key + 5, r->via, 4);
}

/* Routes ascend strictly by their key: ORDER if one sorts before the previous, DUPLICATE if
 * equal. */
static int route_entry(struct tlv_parser *p, struct container_ctx *ctx, uint32_t nth,
                       struct d0_cursor *v, size_t rec_offset) {
  struct d0_route *r = nth < TLV_MAX_ROUTES ? &ctx->c->routes[nth] : &ctx->overflow_route;
  memset(r, 0, sizeof *r);
  TRY(route_parse(p, r, *v, rec_offset));
  uint8_t key[ROUTE_KEY_LEN];
  route_key(key, r);
  if (nth > 0) {
    int cmp = memcmp(ctx->prev_key, key, ROUTE_KEY_LEN);
    if (cmp == 0)
      return tlv_fail(p, TLV_E_DUPLICATE, rec_offset, TLV_CONTAINER_ROUTES);
    if (cmp > 0)
      return tlv_fail(p, TLV_E_ORDER, rec_offset, TLV_CONTAINER_ROUTES);
  }
  memcpy(ctx->prev_key, key, ROUTE_KEY_LEN);
  if (nth < TLV_MAX_ROUTES)
    ctx->c->n_routes = nth + 1;
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
