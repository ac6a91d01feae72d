/* The Loader scope (0x0B): the digest and size of D0's own EFI image of the build, so that a
 * downloaded build's D0 can be checked against the signed manifest. Both fields required. */
#include "parse.h"

static const struct tlv_field LOADER_FIELDS[] = {
    {TLV_LOADER_SHA256, 1, 1, false},
    {TLV_LOADER_SIZE, 1, 1, false},
};

static int loader_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                        struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (LOADER_FIELDS[index].tag) {
  case TLV_LOADER_SHA256:
    return tlv_value_sha256(v, m->loader_sha256);
  case TLV_LOADER_SIZE:
    return tlv_value_u64(v, TLV_LOADER_SIZE_MIN, TLV_LOADER_SIZE_MAX, &m->loader_size);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope LOADER_SCOPE = {
    LOADER_FIELDS, sizeof LOADER_FIELDS / sizeof LOADER_FIELDS[0], loader_field};

int loader_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset) {
  return tlv_parse_scope(p, &LOADER_SCOPE, m, value, rec_offset);
}
