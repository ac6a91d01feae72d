/* The Publish scope (0x07): one port of D0's uplink address forwarded to a container. */
#include "parse.h"

static const struct tlv_field PUBLISH_FIELDS[] = {
    {TLV_PUBLISH_PROTOCOL, 1, 1, false},
    {TLV_PUBLISH_UPLINK_PORT, 1, 1, false},
    {TLV_PUBLISH_CONTAINER_PORT, 1, 1, false},
};

static int publish_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                         struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_publish *pub = obj;
  switch (PUBLISH_FIELDS[index].tag) {
  case TLV_PUBLISH_PROTOCOL:
    return tlv_value_ip_proto(v, true, &pub->proto);
  case TLV_PUBLISH_UPLINK_PORT:
    return tlv_value_u16(v, TLV_PUBLISH_UPLINK_PORT_MIN, TLV_PUBLISH_UPLINK_PORT_MAX,
                         &pub->uplink_port);
  case TLV_PUBLISH_CONTAINER_PORT:
    return tlv_value_u16(v, TLV_PUBLISH_CONTAINER_PORT_MIN, TLV_PUBLISH_CONTAINER_PORT_MAX,
                         &pub->container_port);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope PUBLISH_SCOPE = {
    PUBLISH_FIELDS, sizeof PUBLISH_FIELDS / sizeof PUBLISH_FIELDS[0], publish_field};

int publish_parse(struct tlv_parser *p, struct d0_publish *pub, struct d0_cursor value,
                  size_t rec_offset) {
  return tlv_parse_scope(p, &PUBLISH_SCOPE, pub, value, rec_offset);
}
