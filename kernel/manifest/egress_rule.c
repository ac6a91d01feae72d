/* The EgressRule scope (0x08): one rule of a container's egress allow-list. Each record is
 * checked alone; which ports go with which protocol is the validator's rule. */
#include "parse.h"

static const struct tlv_field EGRESS_RULE_FIELDS[] = {
    {TLV_EGRESS_RULE_DEST, 1, 1, false},
    {TLV_EGRESS_RULE_PROTOCOL, 1, 1, false},
    {TLV_EGRESS_RULE_PORT_LO, 1, 1, false},
    {TLV_EGRESS_RULE_PORT_HI, 1, 1, false},
};

static int egress_rule_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                             struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_egress_rule *r = obj;
  switch (EGRESS_RULE_FIELDS[index].tag) {
  case TLV_EGRESS_RULE_DEST:
    return tlv_value_ip4cidr(v, &r->dest);
  case TLV_EGRESS_RULE_PROTOCOL:
    return tlv_value_ip_proto(v, false, &r->proto);
  case TLV_EGRESS_RULE_PORT_LO:
    return tlv_value_u16(v, TLV_EGRESS_RULE_PORT_LO_MIN, TLV_EGRESS_RULE_PORT_LO_MAX,
                         &r->port_lo);
  case TLV_EGRESS_RULE_PORT_HI:
    return tlv_value_u16(v, TLV_EGRESS_RULE_PORT_HI_MIN, TLV_EGRESS_RULE_PORT_HI_MAX,
                         &r->port_hi);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope EGRESS_RULE_SCOPE = {
    EGRESS_RULE_FIELDS, sizeof EGRESS_RULE_FIELDS / sizeof EGRESS_RULE_FIELDS[0],
    egress_rule_field};

int egress_rule_parse(struct tlv_parser *p, struct d0_egress_rule *r, struct d0_cursor value,
                      size_t rec_offset) {
  return tlv_parse_scope(p, &EGRESS_RULE_SCOPE, r, value, rec_offset);
}
