/* The generic record walker of one scope (parse.h). */
#include "parse.h"

int tlv_fail(struct tlv_parser *p, int err, size_t offset, uint16_t tag) {
  if (!p->failed) {
    p->failed = true;
    p->diag.offset = offset;
    p->diag.tag = tag;
  }
  return -err;
}

static int find_field(const struct tlv_scope *scope, uint16_t tag) {
  for (size_t i = 0; i < scope->n_fields; i++) {
    if (scope->fields[i].tag == tag)
      return (int)i;
  }
  return -1;
}

int tlv_parse_scope(struct tlv_parser *p, const struct tlv_scope *scope, void *obj,
                    struct d0_cursor value, size_t owner_offset) {
  uint32_t counts[TLV_SCOPE_MAX_FIELDS] = {0};
  uint16_t last_id = 0;
  while (!d0_cursor_empty(&value)) {
    size_t rec_offset = tlv_offset(p, &value);
    uint16_t tag;
    uint32_t len;
    struct d0_cursor field_value;
    if (!d0_cursor_read_u16le(&value, &tag))
      return tlv_fail(p, TLV_E_OVERFLOW, rec_offset, 0);
    if (!d0_cursor_read_u32le(&value, &len) || !d0_cursor_sub(&value, len, &field_value))
      return tlv_fail(p, TLV_E_OVERFLOW, rec_offset, tag);

    int index = find_field(scope, tag);
    if (index < 0) {
      if (tag & TLV_CRITICAL)
        return tlv_fail(p, TLV_E_UNKNOWN_CRITICAL, rec_offset, tag);
      continue; /* unknown, non-critical: skipped (its length was checked above) */
    }
    const struct tlv_field *f = &scope->fields[index];
    uint16_t id = tag & TLV_TAG_ID_MASK;
    if (id < last_id)
      return tlv_fail(p, TLV_E_ORDER, rec_offset, tag);
    if (id == last_id && !f->repeated)
      return tlv_fail(p, TLV_E_DUPLICATE, rec_offset, tag);
    last_id = id;

    uint32_t nth = counts[index]++;
    int err = scope->field(p, obj, (size_t)index, nth, &field_value, rec_offset);
    if (err < 0)
      return tlv_fail(p, -err, rec_offset, tag);
  }
  for (size_t i = 0; i < scope->n_fields; i++) {
    const struct tlv_field *f = &scope->fields[i];
    if (counts[i] < f->min_count)
      return tlv_fail(p, TLV_E_MISSING, owner_offset, f->tag);
    if (counts[i] > f->max_count)
      return tlv_fail(p, TLV_E_COUNT, owner_offset, f->tag);
  }
  return 0;
}
