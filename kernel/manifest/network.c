/* The Network scope (0x03): the bridge address, whether D0 NATs egress, D0's uplink address. */
#include "parse.h"

static const struct tlv_field NETWORK_FIELDS[] = {
    {TLV_NETWORK_BRIDGE_IP4, 1, 1, false},
    {TLV_NETWORK_EGRESS_NAT, 1, 1, false},
    {TLV_NETWORK_UPLINK_IP4, 0, 1, false},
    {TLV_NETWORK_UPLINK_GW4, 0, 1, false},
    {TLV_NETWORK_UPLINK_ECHO, 0, 1, false},
};

static int network_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                         struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (NETWORK_FIELDS[index].tag) {
  case TLV_NETWORK_BRIDGE_IP4:
    return tlv_value_ip4cidr(v, &m->bridge_ip4);
  case TLV_NETWORK_EGRESS_NAT:
    return tlv_value_bool(v, &m->egress_nat);
  case TLV_NETWORK_UPLINK_IP4:
    m->has_uplink = true;
    return tlv_value_ip4cidr(v, &m->uplink_ip4);
  case TLV_NETWORK_UPLINK_GW4:
    m->has_uplink_gw = true;
    return tlv_value_ip4(v, m->uplink_gw4);
  case TLV_NETWORK_UPLINK_ECHO:
    m->has_uplink_echo = true;
    return tlv_value_bool(v, &m->uplink_echo);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope NETWORK_SCOPE = {
    NETWORK_FIELDS, sizeof NETWORK_FIELDS / sizeof NETWORK_FIELDS[0], network_field};

int network_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                  size_t rec_offset) {
  return tlv_parse_scope(p, &NETWORK_SCOPE, m, value, rec_offset);
}
