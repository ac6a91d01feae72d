/* The Header scope (0x02): version, build UUID, timestamp, anti-rollback epoch, site. */
#include "parse.h"

static const struct tlv_field HEADER_FIELDS[] = {
    {TLV_HEADER_MANIFEST_VERSION, 1, 1, false},
    {TLV_HEADER_BUILD_UUID, 1, 1, false},
    {TLV_HEADER_TIMESTAMP_MS, 1, 1, false},
    {TLV_HEADER_SECURITY_EPOCH, 1, 1, false},
    {TLV_HEADER_SITE, 0, 1, false},
};

static int header_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                        struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (HEADER_FIELDS[index].tag) {
  case TLV_HEADER_MANIFEST_VERSION:
    return tlv_value_u32(v, TLV_HEADER_MANIFEST_VERSION_MIN, TLV_HEADER_MANIFEST_VERSION_MAX,
                         &m->version);
  case TLV_HEADER_BUILD_UUID:
    return tlv_value_uuid7(v, m->build_uuid);
  case TLV_HEADER_TIMESTAMP_MS:
    return tlv_value_u64(v, TLV_HEADER_TIMESTAMP_MS_MIN, TLV_HEADER_TIMESTAMP_MS_MAX,
                         &m->timestamp_ms);
  case TLV_HEADER_SECURITY_EPOCH:
    return tlv_value_u64(v, TLV_HEADER_SECURITY_EPOCH_MIN, TLV_HEADER_SECURITY_EPOCH_MAX,
                         &m->security_epoch);
  case TLV_HEADER_SITE:
    m->has_site = true;
    return tlv_value_name(v, m->site);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable: index comes from HEADER_FIELDS */
}

static const struct tlv_scope HEADER_SCOPE = {
    HEADER_FIELDS, sizeof HEADER_FIELDS / sizeof HEADER_FIELDS[0], header_field};

int header_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset) {
  return tlv_parse_scope(p, &HEADER_SCOPE, m, value, rec_offset);
}
