/* The RateLimit scope (0x09): one direction's token bucket. All three fields are required
 * (0 = unlimited in that dimension); what makes a sensible limit is the validator's rule. */
#include "parse.h"

static const struct tlv_field RATE_LIMIT_FIELDS[] = {
    {TLV_RATE_LIMIT_BYTES_PER_S, 1, 1, false},
    {TLV_RATE_LIMIT_PACKETS_PER_S, 1, 1, false},
    {TLV_RATE_LIMIT_BURST_BYTES, 1, 1, false},
};

static int rate_limit_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                            struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_rate_limit *r = obj;
  switch (RATE_LIMIT_FIELDS[index].tag) {
  case TLV_RATE_LIMIT_BYTES_PER_S:
    return tlv_value_u64(v, TLV_RATE_LIMIT_BYTES_PER_S_MIN, TLV_RATE_LIMIT_BYTES_PER_S_MAX,
                         &r->bytes_per_s);
  case TLV_RATE_LIMIT_PACKETS_PER_S:
    return tlv_value_u32(v, TLV_RATE_LIMIT_PACKETS_PER_S_MIN, TLV_RATE_LIMIT_PACKETS_PER_S_MAX,
                         &r->packets_per_s);
  case TLV_RATE_LIMIT_BURST_BYTES:
    return tlv_value_u32(v, TLV_RATE_LIMIT_BURST_BYTES_MIN, TLV_RATE_LIMIT_BURST_BYTES_MAX,
                         &r->burst_bytes);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope RATE_LIMIT_SCOPE = {
    RATE_LIMIT_FIELDS, sizeof RATE_LIMIT_FIELDS / sizeof RATE_LIMIT_FIELDS[0], rate_limit_field};

int rate_limit_parse(struct tlv_parser *p, struct d0_rate_limit *r, struct d0_cursor value,
                     size_t rec_offset) {
  return tlv_parse_scope(p, &RATE_LIMIT_SCOPE, r, value, rec_offset);
}
