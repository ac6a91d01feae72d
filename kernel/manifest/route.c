/* The Route scope (0x06): one static route of a container's guest. */
#include "parse.h"

static const struct tlv_field ROUTE_FIELDS[] = {
    {TLV_ROUTE_DEST, 1, 1, false},
    {TLV_ROUTE_VIA, 1, 1, false},
};

static int route_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                       struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_route *r = obj;
  switch (ROUTE_FIELDS[index].tag) {
  case TLV_ROUTE_DEST:
    return tlv_value_ip4cidr(v, &r->dest);
  case TLV_ROUTE_VIA:
    return tlv_value_ip4(v, r->via);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope ROUTE_SCOPE = {
    ROUTE_FIELDS, sizeof ROUTE_FIELDS / sizeof ROUTE_FIELDS[0], route_field};

int route_parse(struct tlv_parser *p, struct d0_route *r, struct d0_cursor value,
                size_t rec_offset) {
  return tlv_parse_scope(p, &ROUTE_SCOPE, r, value, rec_offset);
}
