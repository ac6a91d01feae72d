/* The Update scope (0x0A): where the host pulls its next build from at reboot, and the bound of
 * the whole pull. Both fields are required when the scope is present. */
#include "parse.h"

static const struct tlv_field UPDATE_FIELDS[] = {
    {TLV_UPDATE_URL, 1, 1, false},
    {TLV_UPDATE_TIMEOUT_S, 1, 1, false},
};

static int update_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                        struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (UPDATE_FIELDS[index].tag) {
  case TLV_UPDATE_URL:
    return tlv_value_url(v, m->update_url);
  case TLV_UPDATE_TIMEOUT_S:
    return tlv_value_u32(v, TLV_UPDATE_TIMEOUT_S_MIN, TLV_UPDATE_TIMEOUT_S_MAX,
                         &m->update_timeout_s);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope UPDATE_SCOPE = {
    UPDATE_FIELDS, sizeof UPDATE_FIELDS / sizeof UPDATE_FIELDS[0], update_field};

int update_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset) {
  return tlv_parse_scope(p, &UPDATE_SCOPE, m, value, rec_offset);
}
