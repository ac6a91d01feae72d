/* The Report scope (0x0C): the syslog collector the host sends its one-way reports to (RFC 5424
 * over UDP). Both fields are required when the scope is present; the address is a unicast one
 * (a value rule: 0.0.0.0, 255.255.255.255, 127/8 and 224/4 are VALUE). */
#include "parse.h"

static const struct tlv_field REPORT_FIELDS[] = {
    {TLV_REPORT_COLLECTOR_IP4, 1, 1, false},
    {TLV_REPORT_COLLECTOR_PORT, 1, 1, false},
};

static int report_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                        struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (REPORT_FIELDS[index].tag) {
  case TLV_REPORT_COLLECTOR_IP4:
    return tlv_value_ip4_unicast(v, m->report_ip4);
  case TLV_REPORT_COLLECTOR_PORT:
    return tlv_value_u16(v, TLV_REPORT_COLLECTOR_PORT_MIN, TLV_REPORT_COLLECTOR_PORT_MAX,
                         &m->report_port);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope REPORT_SCOPE = {
    REPORT_FIELDS, sizeof REPORT_FIELDS / sizeof REPORT_FIELDS[0], report_field};

int report_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset) {
  return tlv_parse_scope(p, &REPORT_SCOPE, m, value, rec_offset);
}
